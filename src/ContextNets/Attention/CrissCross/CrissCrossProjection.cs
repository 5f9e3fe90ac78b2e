using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// The three 1x1 projections of a criss-cross pass, forward and backward side by side, in float64 from float32
/// inputs. They are kept in float64 because the logits q . k are large where the softmax is sharp (hundreds, after a
/// first pass): the float32 rounding of q, k or the logits alone moves the gradients by more than a float64
/// reference allows (measured on the shared vector: 1.2x to 2.2x the tolerance), and PyTorch's float32 misses it too.
/// The stacked weights w [Projected, C] hold the query rows, then the key rows, then the value rows; the projections
/// are stored the same way, positions-major [positions, Projected].
/// </summary>
internal static unsafe class CrissCrossProjection
{
    /// <summary>proj_u = w x_u + b for every position u.</summary>
    public static void Forward(CrissCrossGeometry g, float* x, double* w, double* b, double* proj)
    {
        int c = g.C, width = g.Projected;
        Par.For(g.Rows, g.RowWork, (begin, end) =>
        {
            var xd = new double[c];
            fixed (double* xp = xd)
                for (long u = (long)begin * g.W; u < (long)end * g.W; u++)
                {
                    DoubleVec.Widen(x + u * c, xp, c);
                    double* out_ = proj + u * width;
                    for (int o = 0; o < width; o++) out_[o] = b[o] + DoubleVec.Dot(w + (long)o * c, xp, c);
                }
        });
    }

    /// <summary>grad x_u = grad y_u (the residual) + w^T grad proj_u, summed in float64 and rounded once.</summary>
    public static void InputGrad(CrissCrossGeometry g, float* gy, double* w, double* gProj, float* gx)
    {
        int c = g.C, width = g.Projected;
        Par.For(g.Rows, g.RowWork, (begin, end) =>
        {
            var acc = new double[c];
            fixed (double* ap = acc)
                for (long u = (long)begin * g.W; u < (long)end * g.W; u++)
                {
                    DoubleVec.Widen(gy + u * c, ap, c);
                    double* gp = gProj + u * width;
                    for (int o = 0; o < width; o++)
                        if (gp[o] != 0) DoubleVec.Axpy(ap, gp[o], w + (long)o * c, c);
                    for (int k = 0; k < c; k++) gx[u * c + k] = (float)ap[k];
                }
        });
    }

    /// <summary>
    /// grad w [Projected, C] = sum over positions of grad proj_u x_u^T, and grad b = sum of grad proj_u, in float64.
    /// Each job sums a fixed block of positions into its own partial, and the partials are added in block order, so
    /// that the result does not depend on the thread count.
    /// </summary>
    public static void WeightGrad(CrissCrossGeometry g, float* x, double* gProj, double* gw, double* gb)
    {
        int c = g.C, width = g.Projected, blocks = (int)Math.Clamp(g.Positions / 512, 1, 16);
        long positions = g.Positions, size = (long)width * (c + 1);
        var partial = new double[blocks * size];
        Par.For(blocks, positions / blocks * width * c, (begin, end) =>
        {
            var xd = new double[c];
            fixed (double* xp = xd, parts = partial)
                for (int k = begin; k < end; k++)
                {
                    double* pw = parts + k * size, pb = pw + (long)width * c;
                    for (long u = positions * k / blocks; u < positions * (k + 1) / blocks; u++)
                    {
                        DoubleVec.Widen(x + u * c, xp, c);
                        double* gp = gProj + u * width;
                        for (int o = 0; o < width; o++)
                        {
                            if (gp[o] == 0) continue;
                            DoubleVec.Axpy(pw + (long)o * c, gp[o], xp, c);
                            pb[o] += gp[o];
                        }
                    }
                }
        });
        DoubleVec.Clear(gw, width * c);
        DoubleVec.Clear(gb, width);
        for (int k = 0; k < blocks; k++)
        {
            var part = partial.AsSpan((int)(k * size), (int)size);
            for (int e = 0; e < width * c; e++) gw[e] += part[e];
            for (int o = 0; o < width; o++) gb[o] += part[width * c + o];
        }
    }
}
