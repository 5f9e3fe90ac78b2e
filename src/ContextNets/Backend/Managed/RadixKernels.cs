using System.Numerics.Tensors;
using ContextNets.Backend.Dnnl;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Split-attention reductions over a radix-major map u [N, R*C, H, W], read in
/// place in either layout: channels-last rows [R*C] per pixel, or row-major
/// planes [H*W] per channel. Splitting the radix axis out of a channels-last
/// tensor is not a view, so these kernels index the splits where they lie
/// instead of copying them apart. Gates and pooled values are row-major [N, R, C] / [N, C].
/// </summary>
internal static unsafe class RadixKernels
{
    /// <summary>gap[n, c] = mean over pixels of sum over r of u[n, r*C + c].</summary>
    public static void Gap(Tensor u, int radix, float* gap)
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
                    for (int r = 0; r < radix; r++) s += TensorPrimitives.Sum(d.Plane(pu, n, r * d.C + c));
                    gap[i] = s / d.Hw;
                }
            });
            return;
        }
        int rc = radix * d.C;
        using var partial = new PartialSums(d, rc);
        Par.For(partial.Tasks, (long)partial.PixelsPerTask * rc, (begin, end) =>
        {
            for (int t = begin; t < end; t++)
            {
                var acc = partial.Of(t);
                acc.Clear();
                var (n, p0, p1) = partial.Range(t);
                for (int p = p0; p < p1; p++) TensorPrimitives.Add(acc, d.Row(pu, n, p), acc);
            }
        });
        partial.Reduce();
        for (int n = 0; n < d.N; n++)
        {
            var sums = partial.Total(n);
            var g = new Span<float>(gap + (long)n * d.C, d.C);
            sums[..d.C].CopyTo(g);
            for (int r = 1; r < radix; r++) TensorPrimitives.Add(g, sums.Slice(r * d.C, d.C), g);
            TensorPrimitives.Multiply(g, 1f / d.Hw, g);
        }
    }

    /// <summary>gu[n, r*C + c] = g[n, c] / (H*W) at every pixel, in the layout of gu.</summary>
    public static void GapBackward(float* g, int radix, Tensor gu)
    {
        var d = new Dims(gu, radix);
        float* pg = gu.Data;
        if (!d.ChannelsLast)
        {
            Par.For(d.N * radix * d.C, d.Hw, (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                {
                    int n = i / (radix * d.C), c = i % d.C;
                    d.Plane(pg, n, i % (radix * d.C)).Fill(g[(long)n * d.C + c] / d.Hw);
                }
            });
            return;
        }
        int rc = radix * d.C;
        var scaled = new float[d.N * rc];
        for (int n = 0; n < d.N; n++)
            for (int r = 0; r < radix; r++)
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(g + (long)n * d.C, d.C), 1f / d.Hw, scaled.AsSpan(n * rc + r * d.C, d.C));
        Par.For(d.N * d.Hw, rc, (begin, end) =>
        {
            for (int i = begin; i < end; i++)
            {
                int n = i / d.Hw;
                scaled.AsSpan(n * rc, rc).CopyTo(d.Row(pg, n, i % d.Hw));
            }
        });
    }

    /// <summary>y[n, c] = sum over r of a[n, r, c] * u[n, r*C + c] at every pixel; y is [N, C, H, W] in the layout of u.</summary>
    public static void Combine(Tensor u, float* a, int radix, Tensor y)
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
                    var dst = new Span<float>(py + (long)i * d.Hw, d.Hw);
                    TensorPrimitives.Multiply(d.Plane(pu, n, c), a[d.Gate(n, 0, c)], dst);
                    for (int r = 1; r < radix; r++) TensorPrimitives.MultiplyAdd(d.Plane(pu, n, r * d.C + c), a[d.Gate(n, r, c)], dst, dst);
                }
            });
            return;
        }
        Par.For(d.N * d.Hw, (long)radix * d.C, (begin, end) =>
        {
            for (int i = begin; i < end; i++)
            {
                int n = i / d.Hw;
                var row = d.Row(pu, n, i % d.Hw);
                var dst = new Span<float>(py + (long)i * d.C, d.C);
                TensorPrimitives.Multiply(row[..d.C], d.Gates(a, n, 0), dst);
                for (int r = 1; r < radix; r++) TensorPrimitives.FusedMultiplyAdd(row.Slice(r * d.C, d.C), d.Gates(a, n, r), dst, dst);
            }
        });
    }

    /// <summary>
    /// The backward of <see cref="Combine"/> in one pass over gy and u: gu[n, r*C + c] = a[n, r, c] * gy[n, c]
    /// and ga[n, r, c] = sum over pixels of gy[n, c] * u[n, r*C + c]. gy and gu lie as u does.
    /// </summary>
    public static void CombineBackward(Tensor u, float* a, int radix, Tensor gy, Tensor gu, float* ga)
    {
        var d = new Dims(u, radix);
        float* pu = u.Data, pgy = gy.Data, pgu = gu.Data;
        if (!d.ChannelsLast)
        {
            Par.For(d.N * radix * d.C, 2L * d.Hw, (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                {
                    int n = i / (radix * d.C), rc = i % (radix * d.C), c = rc % d.C;
                    var g = new ReadOnlySpan<float>(pgy + ((long)n * d.C + c) * d.Hw, d.Hw);
                    TensorPrimitives.Multiply(g, a[i], d.Plane(pgu, n, rc));
                    ga[i] = TensorPrimitives.Dot(g, d.Plane(pu, n, rc));
                }
            });
            return;
        }
        int width = radix * d.C;
        using var partial = new PartialSums(d, width);
        Par.For(partial.Tasks, (long)partial.PixelsPerTask * 2 * width, (begin, end) =>
        {
            for (int t = begin; t < end; t++)
            {
                var acc = partial.Of(t);
                acc.Clear();
                var (n, p0, p1) = partial.Range(t);
                for (int p = p0; p < p1; p++)
                {
                    var g = new ReadOnlySpan<float>(pgy + ((long)n * d.Hw + p) * d.C, d.C);
                    var row = d.Row(pu, n, p);
                    var grow = d.Row(pgu, n, p);
                    for (int r = 0; r < radix; r++)
                    {
                        TensorPrimitives.Multiply(g, d.Gates(a, n, r), grow.Slice(r * d.C, d.C));
                        var accR = acc.Slice(r * d.C, d.C);
                        TensorPrimitives.FusedMultiplyAdd(g, row.Slice(r * d.C, d.C), accR, accR);
                    }
                }
            }
        });
        partial.Reduce();
        for (int n = 0; n < d.N; n++) partial.Total(n).CopyTo(new Span<float>(ga + (long)n * width, width));
    }

    private readonly struct Dims
    {
        public Dims(Tensor u, int radix)
        {
            N = u.Shape[0];
            C = u.Shape[1] / radix;
            Radix = radix;
            Hw = u.Shape[2] * u.Shape[3];
            ChannelsLast = u.IsIn(MemoryFormat.ChannelsLast);
            if (!ChannelsLast && !u.IsContiguous) throw new ArgumentException($"radix kernels read {u.Shape} row-major or channels-last only.");
        }

        public int N { get; }
        public int C { get; }
        public int Radix { get; }
        public int Hw { get; }
        public bool ChannelsLast { get; }

        public Span<float> Row(float* t, int n, int pixel) => new(t + ((long)n * Hw + pixel) * Radix * C, Radix * C);
        public Span<float> Plane(float* t, int n, int channel) => new(t + ((long)n * Radix * C + channel) * Hw, Hw);
        public long Gate(int n, int r, int c) => ((long)n * Radix + r) * C + c;
        public ReadOnlySpan<float> Gates(float* a, int n, int r) => new(a + Gate(n, r, 0), C);
    }

    /// <summary>
    /// Per-sample sums over pixels of rows of a given width, with the pixels of a sample cut into
    /// parts when there are fewer samples than threads, each part summing into its own row.
    /// </summary>
    private sealed class PartialSums : IDisposable
    {
        private readonly Dims _d;
        private readonly int _width, _parts;
        private readonly Tensor _sums;

        public PartialSums(Dims d, int width)
        {
            _d = d;
            _width = width;
            _parts = Math.Clamp(ThreadSettings.Requested() / Math.Max(d.N, 1), 1, Math.Max(d.Hw, 1));
            _sums = Tensor.EmptyUnscoped([d.N * _parts, width]);
        }

        public int Tasks => _d.N * _parts;
        public int PixelsPerTask => (_d.Hw + _parts - 1) / _parts;

        public Span<float> Of(int task) => new(_sums.Data + (long)task * _width, _width);

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
                    TensorPrimitives.Add(Total(n), Of(n * _parts + p), Total(n));
        }

        public Span<float> Total(int n) => Of(n * _parts);

        public void Dispose() => _sums.Dispose();
    }
}
