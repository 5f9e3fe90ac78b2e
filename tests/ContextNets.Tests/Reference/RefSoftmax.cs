namespace ContextNets.Tests.Reference;

/// <summary>Softmax and log-softmax along one axis, forward and backward, one line of the axis at a time.</summary>
internal static class RefSoftmax
{
    public static RefTensor Forward(RefTensor x, int axis, bool log)
    {
        var y = new RefTensor(x.Shape);
        foreach (var line in Lines(x.Shape, axis))
        {
            double max = double.NegativeInfinity, sum = 0;
            foreach (int i in line) max = Math.Max(max, x.Data[i]);
            foreach (int i in line) sum += Math.Exp(x.Data[i] - max);
            foreach (int i in line) y.Data[i] = log ? x.Data[i] - max - Math.Log(sum) : Math.Exp(x.Data[i] - max) / sum;
        }
        return y;
    }

    /// <summary>
    /// softmax: gx = y * (gy - sum(gy * y)); log-softmax: gx = gy - exp(y) * sum(gy),
    /// with y the forward output.
    /// </summary>
    public static RefTensor Backward(RefTensor y, RefTensor gy, int axis, bool log)
    {
        var gx = new RefTensor(y.Shape);
        foreach (var line in Lines(y.Shape, axis))
        {
            double s = 0;
            foreach (int i in line) s += log ? gy.Data[i] : gy.Data[i] * y.Data[i];
            foreach (int i in line) gx.Data[i] = log ? gy.Data[i] - Math.Exp(y.Data[i]) * s : y.Data[i] * (gy.Data[i] - s);
        }
        return gx;
    }

    /// <summary>The flat indices of each line along the axis.</summary>
    private static IEnumerable<int[]> Lines(int[] shape, int axis)
    {
        int n = shape[axis], inner = 1, outer = 1;
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
            yield return Enumerable.Range(0, n).Select(k => (o * n + k) * inner + i).ToArray();
    }
}
