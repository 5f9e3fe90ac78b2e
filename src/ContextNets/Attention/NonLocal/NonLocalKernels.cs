using System.Numerics;
using System.Numerics.Tensors;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// A positions-major matrix: row r (a position) starts at Ptr + r * Ld and
/// holds Width channels at unit stride. Rows of a wider buffer, so that one
/// buffer can hold several matrices side by side.
/// </summary>
internal readonly unsafe struct Rows(float* ptr, int ld, int width)
{
    public float* Ptr { get; } = ptr;
    public int Ld { get; } = ld;
    public int Width { get; } = width;

    public float* Row(long r) => Ptr + r * Ld;
    public Rows Columns(int offset, int width) => new(Ptr + offset, Ld, width);
}

/// <summary>
/// Max pooling in frames of H x W positions with non-overlapping (Kh, Kw)
/// windows (stride = kernel, floor mode): the geometry of a non-local
/// block's sub-sampling, for any number of frames (batch times time).
/// </summary>
internal readonly record struct FramePooling(int Frames, int H, int W, int Kh, int Kw)
{
    public int OutH => H / Kh;
    public int OutW => W / Kw;
}

/// <summary>
/// The element-wise and row-wise parts of a non-local block on positions-major
/// matrices: window max pooling with its inverse, the row softmax with its
/// backward, and column sums. The matrix products go to oneDNN.
/// </summary>
internal static unsafe class NonLocalKernels
{
    /// <summary>
    /// dst[q] = max over the window of q of src, per channel, and arg[q] = the
    /// window offset (u * Kw + v) of the first maximum. arg is [pooled rows, Width].
    /// </summary>
    public static void MaxPool(Rows src, Rows dst, int* arg, FramePooling g)
    {
        int width = src.Width, oh = g.OutH, ow = g.OutW, window = g.Kh * g.Kw;
        Par.For(g.Frames * oh, (long)ow * window * width, (begin, end) =>
        {
            var from = new long[window];
            for (int fr = begin; fr < end; fr++)
            {
                int f = fr / oh, a = fr % oh;
                for (int b = 0; b < ow; b++)
                {
                    long q = (long)fr * ow + b;
                    for (int u = 0; u < g.Kh; u++)
                    for (int v = 0; v < g.Kw; v++)
                        from[u * g.Kw + v] = ((long)f * g.H + a * g.Kh + u) * g.W + b * g.Kw + v;
                    MaxOfRows(src, from, dst.Row(q), arg + q * width, width);
                }
            }
        });
    }

    private static void MaxOfRows(Rows src, long[] from, float* dst, int* arg, int width)
    {
        int c = 0;
        for (; c <= width - Vector<float>.Count; c += Vector<float>.Count)
        {
            var best = Vector.Load(src.Row(from[0]) + c);
            var at = Vector<int>.Zero;
            for (int e = 1; e < from.Length; e++)
            {
                var v = Vector.Load(src.Row(from[e]) + c);
                var greater = Vector.GreaterThan(v, best);
                best = Vector.ConditionalSelect(greater, v, best);
                at = Vector.ConditionalSelect(greater, new Vector<int>(e), at);
            }
            best.Store(dst + c);
            at.Store(arg + c);
        }
        for (; c < width; c++)
        {
            float best = src.Row(from[0])[c];
            int at = 0;
            for (int e = 1; e < from.Length; e++)
                if (src.Row(from[e])[c] > best) { best = src.Row(from[e])[c]; at = e; }
            dst[c] = best;
            arg[c] = at;
        }
    }

    /// <summary>
    /// The backward of <see cref="MaxPool"/>: every position row of dst gets the
    /// pooled gradient where it held the maximum, and 0 elsewhere (including
    /// rows that no window covers).
    /// </summary>
    public static void MaxUnpool(Rows gPooled, int* arg, Rows dst, FramePooling g)
    {
        int width = gPooled.Width, oh = g.OutH, ow = g.OutW;
        Par.For(g.Frames * g.H, (long)g.W * width, (begin, end) =>
        {
            for (int fh = begin; fh < end; fh++)
            {
                int f = fh / g.H, h = fh % g.H, a = h / g.Kh;
                for (int w = 0; w < g.W; w++)
                {
                    float* o = dst.Row((long)fh * g.W + w);
                    int b = w / g.Kw;
                    if (a >= oh || b >= ow)
                    {
                        new Span<float>(o, width).Clear();
                        continue;
                    }
                    long q = ((long)f * oh + a) * ow + b;
                    Select(gPooled.Row(q), arg + q * width, (h % g.Kh) * g.Kw + w % g.Kw, o, width);
                }
            }
        });
    }

    private static void Select(float* g, int* arg, int offset, float* o, int width)
    {
        int c = 0;
        var mine = new Vector<int>(offset);
        for (; c <= width - Vector<float>.Count; c += Vector<float>.Count)
        {
            var hit = Vector.Equals(Vector.Load(arg + c), mine);
            Vector.ConditionalSelect(hit, Vector.Load(g + c), Vector<float>.Zero).Store(o + c);
        }
        for (; c < width; c++) o[c] = arg[c] == offset ? g[c] : 0f;
    }

    /// <summary>
    /// Each row of s [rows, cols] becomes softmax(scale * row), in place. Returns the largest row range of the scaled
    /// logits (scale * (max - min)), which says whether float32 was precise enough (<see cref="NonLocalPrecision"/>);
    /// it comes from the same pass, since the row maximum is needed anyway.
    /// </summary>
    public static float Softmax(float* s, int rows, int cols, float scale)
    {
        float largest = 0;
        var gate = new object();
        Par.For(rows, cols * 4L, (begin, end) =>
        {
            float local = 0;
            for (int r = begin; r < end; r++)
            {
                var row = new Span<float>(s + (long)r * cols, cols);
                float max = TensorPrimitives.Max(row);
                local = MathF.Max(local, max - TensorPrimitives.Min(row));
                TensorPrimitives.Subtract(row, max, row);
                if (scale != 1f) TensorPrimitives.Multiply(row, scale, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
            }
            lock (gate) largest = MathF.Max(largest, local);
        });
        return scale * largest;
    }

    /// <summary>g = scale * a * (g - sum(a * g)) per row, in place: the softmax backward from its output a, with the logit scale.</summary>
    public static void SoftmaxBackward(float* a, float* g, int rows, int cols, float scale) =>
        Par.For(rows, cols * 4L, (begin, end) =>
        {
            for (int r = begin; r < end; r++)
            {
                var ar = new ReadOnlySpan<float>(a + (long)r * cols, cols);
                var gr = new Span<float>(g + (long)r * cols, cols);
                TensorPrimitives.Subtract(gr, TensorPrimitives.Dot(ar, gr), gr);
                TensorPrimitives.Multiply(gr, ar, gr);
                if (scale != 1f) TensorPrimitives.Multiply(gr, scale, gr);
            }
        });

    /// <summary>sums[c] = sum over the rows of m[r, c].</summary>
    public static void ColumnSums(Rows m, long rows, float* sums)
    {
        int width = m.Width;
        // A fixed split, so that the sums do not depend on the thread count.
        int chunks = (int)Math.Clamp(rows / 256, 1, 8);
        var partial = new float[chunks * width];
        Par.For(chunks, rows * width / chunks, (begin, end) =>
        {
            for (int k = begin; k < end; k++)
            {
                var acc = partial.AsSpan(k * width, width);
                for (long r = rows * k / chunks; r < rows * (k + 1) / chunks; r++)
                    TensorPrimitives.Add(acc, new ReadOnlySpan<float>(m.Row(r), width), acc);
            }
        });
        var total = new Span<float>(sums, width);
        total.Clear();
        for (int k = 0; k < chunks; k++) TensorPrimitives.Add(total, partial.AsSpan(k * width, width), total);
    }

    /// <summary>
    /// The concatenation pairwise function: a[q] = theta_q . wTheta, b[k] = phi_k . wPhi
    /// and f[i, j] = relu(a[i] + b[j]) / keys, per batch item; f is [batch, queries, keys].
    /// </summary>
    public static void ConcatForward(Rows theta, Rows phi, float* wTheta, float* wPhi, float* f, int batch, int queries, int keys)
    {
        var a = Dots(theta, (long)batch * queries, wTheta);
        var b = Dots(phi, (long)batch * keys, wPhi);
        float inv = 1f / keys;
        Par.For(batch * queries, keys, (begin, end) =>
        {
            for (int r = begin; r < end; r++)
            {
                var row = new Span<float>(f + (long)r * keys, keys);
                var br = b.AsSpan(r / queries * keys, keys);
                TensorPrimitives.Add(br, a[r], row);
                TensorPrimitives.Max(row, 0f, row);
                TensorPrimitives.Multiply(row, inv, row);
            }
        });
    }

    /// <summary>
    /// The backward of <see cref="ConcatForward"/> from f and its gradient gf:
    /// gTheta[q] = ga[q] wTheta, gPhi[k] = gb[k] wPhi, gwTheta = sum ga[q] theta[q],
    /// gwPhi = sum gb[k] phi[k], with gs = gf / keys where f &gt; 0 and ga, gb its row and column sums.
    /// </summary>
    public static void ConcatBackward(float* f, float* gf, Rows theta, Rows phi, float* wTheta, float* wPhi,
        Rows gTheta, Rows gPhi, float* gwTheta, float* gwPhi, int batch, int queries, int keys)
    {
        var ga = new float[batch * queries];
        var gb = new float[batch * keys];
        float inv = 1f / keys;
        for (int n = 0; n < batch; n++)
        for (int i = 0; i < queries; i++)
        {
            long r = (long)n * queries + i;
            for (int j = 0; j < keys; j++)
            {
                float gs = f[r * keys + j] > 0 ? gf[r * keys + j] * inv : 0f;
                ga[r] += gs;
                gb[n * keys + j] += gs;
            }
        }
        Outer(ga, wTheta, gTheta, theta, gwTheta);
        Outer(gb, wPhi, gPhi, phi, gwPhi);
    }

    // g[r] = s[r] * w for every row, and gw = sum_r s[r] * m[r].
    private static void Outer(float[] s, float* w, Rows g, Rows m, float* gw)
    {
        int width = g.Width;
        var wSpan = new ReadOnlySpan<float>(w, width);
        var acc = new Span<float>(gw, width);
        acc.Clear();
        for (int r = 0; r < s.Length; r++)
        {
            TensorPrimitives.Multiply(wSpan, s[r], new Span<float>(g.Row(r), width));
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(m.Row(r), width), s[r], acc, acc);
        }
    }

    private static float[] Dots(Rows m, long rows, float* w)
    {
        var d = new float[rows];
        var wSpan = new ReadOnlySpan<float>(w, m.Width);
        for (long r = 0; r < rows; r++) d[r] = TensorPrimitives.Dot(new ReadOnlySpan<float>(m.Row(r), m.Width), wSpan);
        return d;
    }
}
