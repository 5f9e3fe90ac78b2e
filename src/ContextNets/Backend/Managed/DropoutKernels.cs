using System.Numerics.Tensors;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Dropout masks and their application. The mask is drawn per logical
/// element from a counter-based hash of (seed, index), so it depends on the
/// seed and the shape only: not on the layout, the thread count or the
/// order the chunks run in.
/// </summary>
internal static unsafe class DropoutKernels
{
    /// <summary>In logical row-major order: 1/(1-p) where an element is kept, 0 where it is dropped.</summary>
    public static float[] Mask(int count, double p, long seed)
    {
        var mask = new float[count];
        float scale = (float)(1.0 / (1.0 - p));
        ulong s = (ulong)seed;
        Par.For(count, 4, (begin, end) =>
        {
            for (int i = begin; i < end; i++) mask[i] = Uniform(s, (ulong)i) >= p ? scale : 0f;
        });
        return mask;
    }

    /// <summary>dst = src * mask, elementwise by logical index, whatever the layouts of src and dst.</summary>
    public static void Apply(Tensor src, float[] mask, Tensor dst)
    {
        float* ps = src.Data, pd = dst.Data;
        if (src.IsContiguous && dst.IsContiguous)
        {
            Par.For(mask.Length, 1, (begin, end) =>
            {
                int len = end - begin;
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(ps + begin, len), mask.AsSpan(begin, len), new Span<float>(pd + begin, len));
            });
            return;
        }
        var shape = src.Shape;
        int last = shape.Rank - 1, n = shape[last];
        int[] ss = src.Strides.ToArray(), sd = dst.Strides.ToArray();
        Par.For(shape.Numel / n, n, (begin, end) =>
        {
            Span<int> idx = stackalloc int[shape.Rank];
            BinaryKernels.Unflatten(begin, shape, last, idx);
            for (int row = begin; row < end; row++)
            {
                long os = 0, od = 0;
                for (int d = 0; d < shape.Rank; d++) { os += (long)idx[d] * ss[d]; od += (long)idx[d] * sd[d]; }
                for (int j = 0; j < n; j++) pd[od + (long)j * sd[last]] = ps[os + (long)j * ss[last]] * mask[row * n + j];
                StridedCopy.Increment(idx, shape, last);
            }
        });
    }

    // SplitMix64's finalizer over seed + index * golden gamma: independent, well-mixed bits for every index.
    internal static double Uniform(ulong seed, ulong index)
    {
        ulong z = seed + (index + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
