namespace ContextNets;

/// <summary>Copies between two strided layouts of the same logical shape, the innermost dimension in a tight loop.</summary>
internal static unsafe class StridedCopy
{
    public static void ToContiguous(float* src, Shape shape, ReadOnlySpan<int> srcStrides, Span<float> dst)
    {
        fixed (float* d = dst) Copy(src, srcStrides, d, shape.ContiguousStrides(), shape);
    }

    public static void Copy(float* src, ReadOnlySpan<int> srcStrides, float* dst, ReadOnlySpan<int> dstStrides, Shape shape)
    {
        int rank = shape.Rank;
        if (shape.Numel == 0) return;
        if (rank == 0) { *dst = *src; return; }
        // Iterate in the destination's memory order so that writes are sequential.
        int inner = InnermostAxis(dstStrides, shape);
        int n = shape[inner], si = srcStrides[inner], di = dstStrides[inner];
        Span<int> idx = stackalloc int[rank];
        int outer = shape.Numel / n;
        for (int o = 0; o < outer; o++)
        {
            long so = 0, dof = 0;
            for (int a = 0; a < rank; a++)
            {
                so += (long)idx[a] * srcStrides[a];
                dof += (long)idx[a] * dstStrides[a];
            }
            float* s = src + so, d = dst + dof;
            if (si == 1 && di == 1) new ReadOnlySpan<float>(s, n).CopyTo(new Span<float>(d, n));
            else for (int k = 0; k < n; k++) d[(long)k * di] = s[(long)k * si];
            Increment(idx, shape, inner);
        }
    }

    /// <summary>The axis with the smallest stride among those larger than one element.</summary>
    internal static int InnermostAxis(ReadOnlySpan<int> strides, Shape shape)
    {
        int best = shape.Rank - 1, bestStride = int.MaxValue;
        for (int a = 0; a < shape.Rank; a++)
            if (shape[a] > 1 && strides[a] < bestStride) { best = a; bestStride = strides[a]; }
        return best;
    }

    /// <summary>Advances a multi-index over every axis but <paramref name="skip"/>, last axis fastest.</summary>
    internal static void Increment(Span<int> idx, Shape shape, int skip)
    {
        for (int a = shape.Rank - 1; a >= 0; a--)
        {
            if (a == skip) continue;
            if (++idx[a] < shape[a]) return;
            idx[a] = 0;
        }
    }
}
