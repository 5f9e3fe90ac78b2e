using System.Numerics.Tensors;

namespace ContextNets.Backend.Managed;

/// <summary>Sums over axes. The output keeps the input's rank (reduced axes become 1) and is row-major.</summary>
internal static unsafe class ReduceKernels
{
    /// <summary>output[i] = sum of input over the axes where output has size 1 and input does not.</summary>
    public static void Sum(Tensor input, Tensor output)
    {
        var shape = input.Shape;
        if (output.Rank != shape.Rank) throw new ArgumentException($"Reduction of {shape} into rank-{output.Rank} {output.Shape}.");
        output.Span.Clear();
        if (shape.Numel == 0) return;
        if (shape.Rank == 0) { *output.Data = *input.Data; return; }
        var si = input.Strides.ToArray();
        var so = new int[shape.Rank];
        for (int d = 0; d < shape.Rank; d++) so[d] = output.Shape[d] == 1 && shape[d] != 1 ? 0 : output.Strides[d];
        int inner = StridedCopy.InnermostAxis(si, shape);
        int n = shape[inner];
        int outer = shape.Numel / n;
        float* pi = input.Data, po = output.Data;
        Span<int> idx = stackalloc int[shape.Rank];
        for (int o = 0; o < outer; o++)
        {
            long oi = 0, oo = 0;
            for (int d = 0; d < shape.Rank; d++) { oi += (long)idx[d] * si[d]; oo += (long)idx[d] * so[d]; }
            float* src = pi + oi;
            float* dst = po + oo;
            if (so[inner] == 0)
            {
                *dst += si[inner] == 1 ? TensorPrimitives.Sum(new ReadOnlySpan<float>(src, n)) : StridedSum(src, si[inner], n);
            }
            else if (si[inner] == 1 && so[inner] == 1)
            {
                var d = new Span<float>(dst, n);
                TensorPrimitives.Add(d, new ReadOnlySpan<float>(src, n), d);
            }
            else
            {
                for (int k = 0; k < n; k++) dst[(long)k * so[inner]] += src[(long)k * si[inner]];
            }
            StridedCopy.Increment(idx, shape, inner);
        }
    }

    private static float StridedSum(float* p, int stride, int n)
    {
        float s = 0;
        for (int k = 0; k < n; k++) s += p[(long)k * stride];
        return s;
    }
}
