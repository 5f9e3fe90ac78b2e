using System.Numerics.Tensors;
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
            for (long u = (long)begin * g.W; u < (long)end * g.W; u++)
            {
                TensorPrimitives.ConvertChecked<float, double>(new ReadOnlySpan<float>(x + u * c, c), xd);
                double* out_ = proj + u * width;
                for (int o = 0; o < width; o++) out_[o] = b[o] + TensorPrimitives.Dot<double>(new ReadOnlySpan<double>(w + (long)o * c, c), xd);
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
            for (long u = (long)begin * g.W; u < (long)end * g.W; u++)
            {
                TensorPrimitives.ConvertChecked<float, double>(new ReadOnlySpan<float>(gy + u * c, c), acc);
                double* gp = gProj + u * width;
                for (int o = 0; o < width; o++)
                    if (gp[o] != 0) TensorPrimitives.MultiplyAdd<double>(new ReadOnlySpan<double>(w + (long)o * c, c), gp[o], acc, acc);
                TensorPrimitives.ConvertChecked<double, float>(acc, new Span<float>(gx + u * c, c));
            }
        });
    }

    /// <summary>
    /// grad w [Projected, C] = sum over positions of grad proj_u x_u^T, and grad b = sum of grad proj_u, in float64.
    /// Each job owns a range of output rows and walks every position, so that no two jobs write one sum.
    /// </summary>
    public static void WeightGrad(CrissCrossGeometry g, float* x, double* gProj, double* gw, double* gb)
    {
        int c = g.C, width = g.Projected;
        long positions = g.Positions;
        Par.For(width, positions * c, (begin, end) =>
        {
            var xd = new double[c];
            new Span<double>(gw + (long)begin * c, (end - begin) * c).Clear();
            new Span<double>(gb + begin, end - begin).Clear();
            for (long u = 0; u < positions; u++)
            {
                TensorPrimitives.ConvertChecked<float, double>(new ReadOnlySpan<float>(x + u * c, c), xd);
                double* gp = gProj + u * width;
                for (int o = begin; o < end; o++)
                {
                    if (gp[o] == 0) continue;
                    var row = new Span<double>(gw + (long)o * c, c);
                    TensorPrimitives.MultiplyAdd<double>(xd, gp[o], row, row);
                    gb[o] += gp[o];
                }
            }
        });
    }
}
