using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// Split-attention passes over a radix-major map u [N, R*C, H, W] (channel r*C + c is split r of
/// channel c), read in place in either layout: channels-last rows of R*C per pixel, or row-major
/// planes of H*W per channel. Splitting the radix axis out of a channels-last tensor is not a view,
/// so these kernels index the splits where they lie instead of copying them apart.
/// With <c>relu</c> every pass reads max(u, 0) in place of u, so that the block never stores the
/// activated map, and the input gradient is masked by u &gt; 0.
/// Gates, pooled values and their gradients are row-major [N, R, C] / [N, C].
/// The loops are written on Vector512 by hand: per-row library calls cost more than the rows here.
/// </summary>
internal static unsafe class RadixKernels
{
    private const int L = 16;

    /// <summary>gap[n, c] = mean over pixels of sum over r of f(u[n, r*C + c]).</summary>
    public static void Gap(Tensor u, int radix, bool relu, float* gap)
    {
        var d = new Dims(u, radix);
        float* pu = u.Data;
        if (!d.ChannelsLast)
        {
            Par.For(d.N * d.C, (long)radix * d.Hw, (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                {
                    int n = i / d.C, c = i % d.C;
                    float s = 0;
                    for (int r = 0; r < radix; r++) s += SumPlane(d.Plane(pu, n, r * d.C + c), d.Hw, relu);
                    gap[i] = s / d.Hw;
                }
            });
            return;
        }
        using var partial = new PartialSums(d);
        Par.For(partial.Tasks, (long)partial.PixelsPerTask * d.W, (begin, end) =>
        {
            for (int t = begin; t < end; t++)
            {
                float* acc = partial.Of(t);
                new Span<float>(acc, d.W).Clear();
                var (n, p0, p1) = partial.Range(t);
                for (int p = p0; p < p1; p++) AddRow(acc, d.Row(pu, n, p), d.W, relu);
            }
        });
        partial.Reduce();
        for (int n = 0; n < d.N; n++)
        {
            float* sums = partial.Total(n);
            for (int c = 0; c < d.C; c++)
            {
                float s = 0;
                for (int r = 0; r < radix; r++) s += sums[r * d.C + c];
                gap[(long)n * d.C + c] = s / d.Hw;
            }
        }
    }

    /// <summary>y[n, c] = sum over r of a[n, r, c] * f(u[n, r*C + c]) at every pixel; y is [N, C, H, W] in the layout of u.</summary>
    public static void Combine(Tensor u, float* a, int radix, bool relu, Tensor y)
    {
        var d = new Dims(u, radix);
        float* pu = u.Data, py = y.Data;
        if (!d.ChannelsLast)
        {
            Par.For(d.N * d.C, (long)radix * d.Hw, (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                {
                    int n = i / d.C, c = i % d.C;
                    float* dst = py + (long)i * d.Hw;
                    ScalePlane(dst, d.Plane(pu, n, c), a[d.Gate(n, 0, c)], d.Hw, relu, accumulate: false);
                    for (int r = 1; r < radix; r++) ScalePlane(dst, d.Plane(pu, n, r * d.C + c), a[d.Gate(n, r, c)], d.Hw, relu, accumulate: true);
                }
            });
            return;
        }
        Par.For(d.N * d.Hw, d.W, (begin, end) =>
        {
            for (int i = begin; i < end; i++)
            {
                int n = i / d.Hw;
                float* row = d.Row(pu, n, i % d.Hw), dst = py + (long)i * d.C, gates = a + d.Gate(n, 0, 0);
                int c = 0;
                for (; c <= d.C - L; c += L)
                {
                    var s = Vector512.Load(gates + c) * Act(Vector512.Load(row + c), relu);
                    for (int r = 1; r < radix; r++)
                        s = Vector512.FusedMultiplyAdd(Vector512.Load(gates + r * d.C + c), Act(Vector512.Load(row + r * d.C + c), relu), s);
                    s.Store(dst + c);
                }
                for (; c < d.C; c++)
                {
                    float s = 0;
                    for (int r = 0; r < radix; r++) s += gates[r * d.C + c] * Act(row[r * d.C + c], relu);
                    dst[c] = s;
                }
            }
        });
    }

    /// <summary>The gradient of the gate: ga[n, r, c] = sum over pixels of gy[n, c] * f(u[n, r*C + c]); gy lies as u does.</summary>
    public static void GateGrad(Tensor u, Tensor gy, int radix, bool relu, float* ga)
    {
        var d = new Dims(u, radix);
        float* pu = u.Data, pg = gy.Data;
        if (!d.ChannelsLast)
        {
            Par.For(d.N * d.W, 2L * d.Hw, (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                {
                    int n = i / d.W, rc = i % d.W;
                    ga[i] = DotPlane(pg + ((long)n * d.C + rc % d.C) * d.Hw, d.Plane(pu, n, rc), d.Hw, relu);
                }
            });
            return;
        }
        using var partial = new PartialSums(d);
        Par.For(partial.Tasks, (long)partial.PixelsPerTask * 2 * d.W, (begin, end) =>
        {
            for (int t = begin; t < end; t++)
            {
                float* acc = partial.Of(t);
                new Span<float>(acc, d.W).Clear();
                var (n, p0, p1) = partial.Range(t);
                for (int p = p0; p < p1; p++)
                {
                    float* g = pg + ((long)n * d.Hw + p) * d.C, row = d.Row(pu, n, p);
                    for (int r = 0; r < radix; r++)
                    {
                        float* accR = acc + r * d.C, rowR = row + r * d.C;
                        int c = 0;
                        for (; c <= d.C - L; c += L)
                            Vector512.FusedMultiplyAdd(Vector512.Load(g + c), Act(Vector512.Load(rowR + c), relu), Vector512.Load(accR + c)).Store(accR + c);
                        for (; c < d.C; c++) accR[c] += g[c] * Act(rowR[c], relu);
                    }
                }
            }
        });
        partial.Reduce();
        for (int n = 0; n < d.N; n++) new ReadOnlySpan<float>(partial.Total(n), d.W).CopyTo(new Span<float>(ga + (long)n * d.W, d.W));
    }

    /// <summary>
    /// The gradient of u: gu[n, r*C + c] = f'(u) * (a[n, r, c] * gy[n, c] + term[n, c]) at every pixel, in the layout of gu.
    /// Without <paramref name="gy"/> (and <paramref name="a"/>) only the term counts, without <paramref name="term"/> only the gated part;
    /// <paramref name="u"/> is read only for the ReLU mask.
    /// </summary>
    public static void InputGrad(Tensor? u, Tensor? gy, float* a, float* term, int radix, bool relu, Tensor gu)
    {
        var d = new Dims(gu, radix);
        float* pu = relu ? u!.Data : null, pg = gy is null ? null : gy.Data, pgu = gu.Data;
        if (!d.ChannelsLast)
        {
            Par.For(d.N * d.W, d.Hw, (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                {
                    int n = i / d.W, rc = i % d.W, c = rc % d.C;
                    float gate = pg == null ? 0 : a[(long)n * d.W + rc], add = term == null ? 0 : term[(long)n * d.C + c];
                    float* g = pg == null ? null : pg + ((long)n * d.C + c) * d.Hw;
                    MaskedAffine(d.Plane(pgu, n, rc), g, gate, add, relu ? d.Plane(pu, n, rc) : null, d.Hw);
                }
            });
            return;
        }
        Par.For(d.N * d.Hw, d.W, (begin, end) =>
        {
            for (int i = begin; i < end; i++)
            {
                int n = i / d.Hw, p = i % d.Hw;
                float* dst = d.Row(pgu, n, p), mask = relu ? d.Row(pu, n, p) : null;
                float* g = pg == null ? null : pg + (long)i * d.C, t = term == null ? null : term + (long)n * d.C;
                for (int r = 0; r < radix; r++)
                {
                    float* gate = pg == null ? null : a + d.Gate(n, r, 0), dstR = dst + r * d.C, maskR = mask == null ? null : mask + r * d.C;
                    int c = 0;
                    for (; c <= d.C - L; c += L)
                    {
                        var v = g == null ? Vector512<float>.Zero : Vector512.Load(gate + c) * Vector512.Load(g + c);
                        if (t != null) v += Vector512.Load(t + c);
                        if (maskR != null) v = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(maskR + c), Vector512<float>.Zero), v, Vector512<float>.Zero);
                        v.Store(dstR + c);
                    }
                    for (; c < d.C; c++)
                    {
                        float v = (g == null ? 0 : gate[c] * g[c]) + (t == null ? 0 : t[c]);
                        dstR[c] = maskR == null || maskR[c] > 0 ? v : 0;
                    }
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Act(Vector512<float> x, bool relu) => relu ? Vector512.Max(x, Vector512<float>.Zero) : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Act(float x, bool relu) => relu ? MathF.Max(x, 0) : x;

    private static void AddRow(float* acc, float* row, int width, bool relu)
    {
        int i = 0;
        for (; i <= width - L; i += L) (Vector512.Load(acc + i) + Act(Vector512.Load(row + i), relu)).Store(acc + i);
        for (; i < width; i++) acc[i] += Act(row[i], relu);
    }

    private static float SumPlane(float* x, int n, bool relu)
    {
        var s = Vector512<float>.Zero;
        int i = 0;
        for (; i <= n - L; i += L) s += Act(Vector512.Load(x + i), relu);
        float total = Vector512.Sum(s);
        for (; i < n; i++) total += Act(x[i], relu);
        return total;
    }

    private static float DotPlane(float* g, float* x, int n, bool relu)
    {
        var s = Vector512<float>.Zero;
        int i = 0;
        for (; i <= n - L; i += L) s = Vector512.FusedMultiplyAdd(Vector512.Load(g + i), Act(Vector512.Load(x + i), relu), s);
        float total = Vector512.Sum(s);
        for (; i < n; i++) total += g[i] * Act(x[i], relu);
        return total;
    }

    /// <summary>dst = scale * f(x), or dst += scale * f(x).</summary>
    private static void ScalePlane(float* dst, float* x, float scale, int n, bool relu, bool accumulate)
    {
        var k = Vector512.Create(scale);
        int i = 0;
        for (; i <= n - L; i += L)
        {
            var v = k * Act(Vector512.Load(x + i), relu);
            if (accumulate) v += Vector512.Load(dst + i);
            v.Store(dst + i);
        }
        for (; i < n; i++) dst[i] = (accumulate ? dst[i] : 0) + scale * Act(x[i], relu);
    }

    /// <summary>dst = (scale * g + add), zeroed where mask &lt;= 0 (when there is a mask); g may be absent.</summary>
    private static void MaskedAffine(float* dst, float* g, float scale, float add, float* mask, int n)
    {
        var k = Vector512.Create(scale);
        var b = Vector512.Create(add);
        int i = 0;
        for (; i <= n - L; i += L)
        {
            var v = g == null ? b : Vector512.FusedMultiplyAdd(k, Vector512.Load(g + i), b);
            if (mask != null) v = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(mask + i), Vector512<float>.Zero), v, Vector512<float>.Zero);
            v.Store(dst + i);
        }
        for (; i < n; i++)
        {
            float v = (g == null ? 0 : scale * g[i]) + add;
            dst[i] = mask == null || mask[i] > 0 ? v : 0;
        }
    }

    private readonly struct Dims
    {
        public Dims(Tensor u, int radix)
        {
            N = u.Shape[0];
            C = u.Shape[1] / radix;
            W = u.Shape[1];
            Radix = radix;
            Hw = u.Shape[2] * u.Shape[3];
            ChannelsLast = u.IsIn(MemoryFormat.ChannelsLast);
            if (!ChannelsLast && !u.IsContiguous) throw new ArgumentException($"radix kernels read {u.Shape} row-major or channels-last only.");
        }

        public int N { get; }
        public int C { get; }
        /// <summary>R*C: the channels of u.</summary>
        public int W { get; }
        public int Radix { get; }
        public int Hw { get; }
        public bool ChannelsLast { get; }

        public float* Row(float* t, int n, int pixel) => t + ((long)n * Hw + pixel) * W;
        public float* Plane(float* t, int n, int channel) => t + ((long)n * W + channel) * Hw;
        public long Gate(int n, int r, int c) => ((long)n * Radix + r) * C + c;
    }

    /// <summary>
    /// Per-sample sums over pixels of rows of R*C, with the pixels of a sample cut into parts when
    /// there are fewer samples than threads, each part summing into its own row.
    /// </summary>
    private sealed class PartialSums : IDisposable
    {
        private readonly Dims _d;
        private readonly int _parts;
        private readonly Tensor _sums;

        public PartialSums(Dims d)
        {
            _d = d;
            _parts = Math.Clamp(Par.RequestedThreads() / Math.Max(d.N, 1), 1, Math.Max(d.Hw, 1));
            _sums = Tensor.EmptyUnscoped([d.N * _parts, d.W]);
        }

        public int Tasks => _d.N * _parts;
        public int PixelsPerTask => (_d.Hw + _parts - 1) / _parts;

        public float* Of(int task) => _sums.Data + (long)task * _d.W;

        public (int n, int begin, int end) Range(int task)
        {
            int n = task / _parts, part = task % _parts;
            return (n, (int)((long)_d.Hw * part / _parts), (int)((long)_d.Hw * (part + 1) / _parts));
        }

        /// <summary>Adds every part of a sample into its first part.</summary>
        public void Reduce()
        {
            for (int n = 0; n < _d.N; n++)
                for (int p = 1; p < _parts; p++)
                    AddRow(Total(n), Of(n * _parts + p), _d.W, relu: false);
        }

        public float* Total(int n) => Of(n * _parts);

        public void Dispose() => _sums.Dispose();
    }
}
