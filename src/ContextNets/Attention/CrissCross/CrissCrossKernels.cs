using System.Numerics.Tensors;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// The attention of a criss-cross pass, forward and backward side by side, on the float64 projections of
/// <see cref="CrissCrossProjection"/> (positions-major [positions, Projected]: q, then k, then v). Each query reads
/// H + W - 1 keys, so the pass is O(positions x (H + W) x (Cq + C)) and needs no matmul library. The softmax and the
/// sums over a path stay in float64 (see <see cref="CrissCrossProjection"/> for why).
/// </summary>
internal static unsafe class CrissCrossKernels
{
    /// <summary>
    /// attention [positions, Path] = one softmax over each query's criss-cross logits q_u . k_s, and
    /// aggregate [positions, C] = sum over the path of attention x v.
    /// </summary>
    public static void Forward(CrissCrossGeometry g, double* proj, double* attention, double* aggregate)
    {
        int width = g.Projected, cq = g.Cq, c = g.C;
        Par.For(g.Rows, g.RowWork, (begin, end) =>
        {
            for (int row = begin; row < end; row++)
            {
                int n = row / g.H, i = row % g.H;
                for (int j = 0; j < g.W; j++)
                {
                    long u = (long)row * g.W + j;
                    double* a = attention + u * g.Path, q = proj + u * width, sum = aggregate + u * c;
                    for (int s = 0; s < g.Path; s++)
                        a[s] = s == i ? double.NegativeInfinity : DoubleVec.Dot(q, proj + g.Key(n, i, j, s) * width + cq, cq);
                    Softmax(new Span<double>(a, g.Path));
                    DoubleVec.Clear(sum, c);
                    for (int s = 0; s < g.Path; s++)
                        if (a[s] != 0) DoubleVec.Axpy(sum, a[s], proj + g.Key(n, i, j, s) * width + 2 * cq, c);
                }
            }
        });
    }

    /// <summary>The softmax of one query's logits in place; the masked slot (-inf) comes out exactly 0.</summary>
    private static void Softmax(Span<double> a)
    {
        double max = TensorPrimitives.Max<double>(a);
        for (int s = 0; s < a.Length; s++) a[s] = Math.Exp(a[s] - max);
        TensorPrimitives.Multiply<double>(a, 1 / TensorPrimitives.Sum<double>(a), a);
    }

    /// <summary>y = gamma x aggregate + x, rounded to float32 once.</summary>
    public static void Residual(CrissCrossGeometry g, float* x, double* aggregate, double gamma, float* y)
    {
        int c = g.C;
        Par.For(g.Rows, (long)g.W * c, (begin, end) =>
        {
            for (long e = (long)begin * g.W * c; e < (long)end * g.W * c; e++) y[e] = (float)(gamma * aggregate[e] + x[e]);
        });
    }

    /// <summary>
    /// The first backward sweep, over queries u: grad aggregate_u = gamma x grad y_u (kept in
    /// <paramref name="gAggregate"/> for the second sweep), the logit gradients gLogits [positions, Path],
    /// grad q_u into the query columns of gProj, and gamma's gradient, sum of grad y x aggregate (one partial per row
    /// in <paramref name="gammaRows"/>, summed in order by the caller, so that the result does not depend on threads).
    /// </summary>
    public static void QueryBackward(CrissCrossGeometry g, float* gy, double gamma, double* proj, double* attention, double* aggregate,
        double* gAggregate, double* gLogits, double* gProj, double[] gammaRows)
    {
        int width = g.Projected, cq = g.Cq, c = g.C;
        Par.For(g.Rows, g.RowWork, (begin, end) =>
        {
            for (int row = begin; row < end; row++)
            {
                int n = row / g.H, i = row % g.H;
                double gammaSum = 0;
                for (int j = 0; j < g.W; j++)
                {
                    long u = (long)row * g.W + j;
                    double* ga = gAggregate + u * c, a = attention + u * g.Path, ge = gLogits + u * g.Path, gq = gProj + u * width;
                    DoubleVec.Widen(gy + u * c, ga, c);
                    gammaSum += DoubleVec.Dot(ga, aggregate + u * c, c);
                    for (int k = 0; k < c; k++) ga[k] *= gamma;

                    for (int s = 0; s < g.Path; s++)
                        ge[s] = a[s] == 0 ? 0 : DoubleVec.Dot(ga, proj + g.Key(n, i, j, s) * width + 2 * cq, c);
                    double weighted = DoubleVec.Dot(a, ge, g.Path);
                    DoubleVec.Clear(gq, cq);
                    for (int s = 0; s < g.Path; s++)
                    {
                        ge[s] = a[s] * (ge[s] - weighted);
                        if (ge[s] != 0) DoubleVec.Axpy(gq, ge[s], proj + g.Key(n, i, j, s) * width + cq, cq);
                    }
                }
                gammaRows[row] = gammaSum;
            }
        });
    }

    /// <summary>
    /// The second backward sweep, over keys r = (n, a, b): r gathers from the queries whose path holds it (its
    /// column's queries through their slot a, its row's queries through their slot H + b), so that every job writes
    /// only its own rows: grad k_r = sum gLogits x q and grad v_r = sum attention x grad aggregate, into the key and
    /// value columns of gProj.
    /// </summary>
    public static void KeyValueBackward(CrissCrossGeometry g, double* proj, double* attention, double* gAggregate, double* gLogits, double* gProj)
    {
        int width = g.Projected, cq = g.Cq, c = g.C;
        Par.For(g.Rows, g.RowWork, (begin, end) =>
        {
            for (int row = begin; row < end; row++)
            {
                int n = row / g.H, a = row % g.H;
                for (int b = 0; b < g.W; b++)
                {
                    long r = (long)row * g.W + b;
                    double* gk = gProj + r * width + cq, gv = gProj + r * width + 2 * cq;
                    DoubleVec.Clear(gk, cq);
                    DoubleVec.Clear(gv, c);
                    // The query at (a, b) itself has this column slot masked, so it is skipped there and met in the row.
                    for (int i = 0; i < g.H; i++)
                    {
                        if (i == a) continue;
                        long u = ((long)n * g.H + i) * g.W + b;
                        Gather(gLogits[u * g.Path + a], attention[u * g.Path + a], proj + u * width, gAggregate + u * c, gk, gv, cq, c);
                    }
                    for (int j = 0; j < g.W; j++)
                    {
                        long u = (long)row * g.W + j;
                        Gather(gLogits[u * g.Path + g.H + b], attention[u * g.Path + g.H + b], proj + u * width, gAggregate + u * c, gk, gv, cq, c);
                    }
                }
            }
        });
    }

    private static void Gather(double gLogit, double weight, double* q, double* gAggregate, double* gk, double* gv, int cq, int c)
    {
        if (gLogit != 0) DoubleVec.Axpy(gk, gLogit, q, cq);
        if (weight != 0) DoubleVec.Axpy(gv, weight, gAggregate, c);
    }
}
