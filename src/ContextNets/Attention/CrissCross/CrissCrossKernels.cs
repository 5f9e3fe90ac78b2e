using System.Numerics.Tensors;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// The sizes of one criss-cross pass over channels-last maps: N frames of H x W positions, Cq query/key channels and
/// C value channels. Every position u = (n, i, j) holds Path = H + W attention slots: slot a &lt; H is the key at
/// (a, j) in its column, slot H + b the key at (i, b) in its row. Its own column slot (a = i) is masked to weight 0,
/// so that the position, which lies on both lines, is counted once (through the row), as in the official CCNet.
/// </summary>
internal readonly record struct CrissCrossGeometry(int N, int H, int W, int Cq, int C)
{
    public int Path => H + W;
    public int Positions => N * H * W;

    /// <summary>The position that slot <paramref name="slot"/> of query (n, i, j) reads.</summary>
    public long Key(int n, int i, int j, int slot) => slot < H ? ((long)n * H + slot) * W + j : ((long)n * H + i) * W + slot - H;
}

/// <summary>
/// Forward and backward of criss-cross attention, side by side, on positions-major (channels-last) buffers. Each
/// query reads H + W - 1 keys, so the whole pass is O(positions x (H + W) x (Cq + C)) and needs no matmul library.
/// </summary>
internal static unsafe class CrissCrossKernels
{
    /// <summary>
    /// attention [positions, Path] = one softmax over each query's criss-cross logits q_u . k_s, and
    /// aggregate [positions, C] = sum over the path of attention x v.
    /// </summary>
    public static void Forward(CrissCrossGeometry g, float* q, float* k, float* v, float* attention, float* aggregate)
    {
        int rows = g.N * g.H;
        Par.For(rows, (long)g.W * g.Path * (g.Cq + g.C), (begin, end) =>
        {
            for (int row = begin; row < end; row++)
            {
                int n = row / g.H, i = row % g.H;
                for (int j = 0; j < g.W; j++)
                {
                    long u = (long)row * g.W + j;
                    var a = new Span<float>(attention + u * g.Path, g.Path);
                    var qu = new ReadOnlySpan<float>(q + u * g.Cq, g.Cq);
                    for (int s = 0; s < g.Path; s++)
                        a[s] = s == i ? float.NegativeInfinity : TensorPrimitives.Dot(qu, new ReadOnlySpan<float>(k + g.Key(n, i, j, s) * g.Cq, g.Cq));
                    Softmax(a);
                    var out_ = new Span<float>(aggregate + u * g.C, g.C);
                    out_.Clear();
                    for (int s = 0; s < g.Path; s++)
                        if (a[s] != 0f) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + g.Key(n, i, j, s) * g.C, g.C), a[s], out_, out_);
                }
            }
        });
    }

    /// <summary>The softmax of one query's logits in place; the masked slot (-inf) comes out exactly 0.</summary>
    private static void Softmax(Span<float> a)
    {
        float max = TensorPrimitives.Max(a);
        double sum = 0;
        for (int s = 0; s < a.Length; s++)
        {
            a[s] = MathF.Exp(a[s] - max);
            sum += a[s];
        }
        TensorPrimitives.Multiply(a, (float)(1 / sum), a);
    }

    /// <summary>
    /// The first backward sweep, over queries: for the gradient gAgg of the aggregate (gamma x grad y, the scale
    /// passed in so that it is never materialized), the logit gradients gLogits [positions, Path] and grad q.
    /// The softmax backward's sum over the path, sum_s a_s g_s, is accumulated in float64: it is a difference of
    /// nearly equal terms when one slot dominates, which is what makes float32 miss a float64 reference.
    /// </summary>
    public static void QueryBackward(CrissCrossGeometry g, float* gy, float scale, float* k, float* v, float* attention, float* gLogits, float* gq)
    {
        int rows = g.N * g.H;
        Par.For(rows, (long)g.W * g.Path * (g.Cq + g.C), (begin, end) =>
        {
            for (int row = begin; row < end; row++)
            {
                int n = row / g.H, i = row % g.H;
                for (int j = 0; j < g.W; j++)
                {
                    long u = (long)row * g.W + j;
                    var a = new ReadOnlySpan<float>(attention + u * g.Path, g.Path);
                    var ge = new Span<float>(gLogits + u * g.Path, g.Path);
                    var gyu = new ReadOnlySpan<float>(gy + u * g.C, g.C);
                    double weighted = 0;
                    for (int s = 0; s < g.Path; s++)
                    {
                        ge[s] = a[s] == 0f ? 0f : scale * TensorPrimitives.Dot(gyu, new ReadOnlySpan<float>(v + g.Key(n, i, j, s) * g.C, g.C));
                        weighted += (double)a[s] * ge[s];
                    }
                    var gqu = new Span<float>(gq + u * g.Cq, g.Cq);
                    gqu.Clear();
                    for (int s = 0; s < g.Path; s++)
                    {
                        ge[s] = (float)(a[s] * (ge[s] - weighted));
                        if (ge[s] != 0f) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(k + g.Key(n, i, j, s) * g.Cq, g.Cq), ge[s], gqu, gqu);
                    }
                }
            }
        });
    }

    /// <summary>
    /// The second backward sweep, over keys: each position r = (n, a, b) gathers from the queries whose path holds
    /// it (its column's queries through their slot a, its row's queries through their slot H + b), so that every
    /// thread writes only its own rows: grad k_r = sum gLogits x q, grad v_r = scale x sum attention x grad y.
    /// Either output may be null when its input needs no gradient.
    /// </summary>
    public static void KeyValueBackward(CrissCrossGeometry g, float* gy, float scale, float* q, float* attention, float* gLogits, float* gk, float* gv)
    {
        int rows = g.N * g.H;
        Par.For(rows, (long)g.W * g.Path * (g.Cq + g.C), (begin, end) =>
        {
            for (int row = begin; row < end; row++)
            {
                int n = row / g.H, a = row % g.H;
                for (int b = 0; b < g.W; b++)
                {
                    long r = (long)row * g.W + b;
                    var gkr = gk is null ? default : new Span<float>(gk + r * g.Cq, g.Cq);
                    var gvr = gv is null ? default : new Span<float>(gv + r * g.C, g.C);
                    gkr.Clear();
                    gvr.Clear();
                    // Queries in column b (the query at row a itself has this slot masked) and in row a.
                    for (int i = 0; i < g.H; i++)
                        if (i != a) Gather(g, ((long)n * g.H + i) * g.W + b, a, q, gy, attention, gLogits, gkr, gvr);
                    for (int j = 0; j < g.W; j++)
                        Gather(g, (long)row * g.W + j, g.H + b, q, gy, attention, gLogits, gkr, gvr);
                    if (gv is not null) TensorPrimitives.Multiply(gvr, scale, gvr);
                }
            }
        });
    }

    private static void Gather(CrissCrossGeometry g, long u, int slot, float* q, float* gy, float* attention, float* gLogits, Span<float> gk, Span<float> gv)
    {
        float ge = gLogits[u * g.Path + slot], at = attention[u * g.Path + slot];
        if (!gk.IsEmpty && ge != 0f) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(q + u * g.Cq, g.Cq), ge, gk, gk);
        if (!gv.IsEmpty && at != 0f) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(gy + u * g.C, g.C), at, gv, gv);
    }

    /// <summary>y = gamma x aggregate + x over the whole buffer.</summary>
    public static void Residual(float* x, float* aggregate, float gamma, float* y, long count) =>
        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(aggregate, (int)count), gamma, new ReadOnlySpan<float>(x, (int)count), new Span<float>(y, (int)count));

    /// <summary>gamma's gradient, the sum of grad y x aggregate over the whole buffer, in float64.</summary>
    public static double GammaGradient(float* gy, float* aggregate, long count)
    {
        double sum = 0;
        var a = new ReadOnlySpan<float>(aggregate, (int)count);
        var b = new ReadOnlySpan<float>(gy, (int)count);
        const int Block = 1024;
        // Float32 dot products of short blocks, summed in float64: SIMD speed, and the error of a long sum stays small.
        for (int s = 0; s < a.Length; s += Block)
        {
            int len = Math.Min(Block, a.Length - s);
            sum += TensorPrimitives.Dot(a.Slice(s, len), b.Slice(s, len));
        }
        return sum;
    }
}
