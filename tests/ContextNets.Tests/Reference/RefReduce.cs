namespace ContextNets.Tests.Reference;

/// <summary>Sum and mean over axes on the reference path; the backward spreads each output gradient over the elements it summed.</summary>
internal static class RefReduce
{
    public static RefTensor Sum(RefTensor x, int[] axes, bool keepDim) => Final(RefElementwise.SumKeep(x, axes), axes, keepDim);

    public static RefTensor Mean(RefTensor x, int[] axes, bool keepDim)
    {
        var y = Sum(x, axes, keepDim);
        double count = (double)x.Length / Kept(x.Shape, axes).Aggregate(1, (p, d) => p * d);
        for (int i = 0; i < y.Length; i++) y.Data[i] /= count;
        return y;
    }

    public static RefTensor SumBackward(RefTensor gy, int[] inputShape, int[] axes)
    {
        var kept = Kept(inputShape, axes);
        var gx = new RefTensor(inputShape);
        for (int i = 0; i < gx.Length; i++) gx.Data[i] = gy.Data[RefElementwise.SourceIndex(i, inputShape, kept)];
        return gx;
    }

    public static RefTensor MeanBackward(RefTensor gy, int[] inputShape, int[] axes)
    {
        var gx = SumBackward(gy, inputShape, axes);
        double count = (double)gx.Length / gy.Length;
        for (int i = 0; i < gx.Length; i++) gx.Data[i] /= count;
        return gx;
    }

    private static int[] Kept(int[] shape, int[] axes)
    {
        var kept = (int[])shape.Clone();
        foreach (int a in axes) kept[a] = 1;
        return kept;
    }

    private static RefTensor Final(RefTensor kept, int[] axes, bool keepDim) =>
        keepDim ? kept : new RefTensor(kept.Shape.Where((_, d) => !axes.Contains(d)).ToArray(), kept.Data);
}
