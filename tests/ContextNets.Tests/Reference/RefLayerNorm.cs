namespace ContextNets.Tests.Reference;

/// <summary>
/// Layer normalization over one axis: every slice along that axis is normalized on its own, then
/// scaled and shifted by per-position weight and bias. The last axis gives torch's layer_norm,
/// axis 1 of [N, C, H, W] timm's LayerNorm2d.
/// </summary>
internal static class RefLayerNorm
{
    public static RefTensor Forward(RefTensor x, RefTensor w, RefTensor b, int axis, double eps)
    {
        var y = new RefTensor(x.Shape);
        foreach (var slice in Slices(x.Shape, axis))
        {
            var (mean, rstd) = Stats(x, slice, eps);
            for (int k = 0; k < slice.Length; k++)
                y.Data[slice[k]] = (x.Data[slice[k]] - mean) * rstd * w.Data[k] + b.Data[k];
        }
        return y;
    }

    public static (RefTensor gx, RefTensor gw, RefTensor gb) Backward(RefTensor x, RefTensor w, int axis, double eps, RefTensor gy)
    {
        int d = x.Shape[axis];
        var gx = new RefTensor(x.Shape);
        var gw = new RefTensor([d]);
        var gb = new RefTensor([d]);
        foreach (var slice in Slices(x.Shape, axis))
        {
            var (mean, rstd) = Stats(x, slice, eps);
            // With g = dy * w: dx = rstd/d * (d*g - sum(g) - xhat*sum(g*xhat)).
            double sumG = 0, sumGx = 0;
            for (int k = 0; k < d; k++)
            {
                int i = slice[k];
                double xhat = (x.Data[i] - mean) * rstd, g = gy.Data[i] * w.Data[k];
                sumG += g;
                sumGx += g * xhat;
                gw.Data[k] += gy.Data[i] * xhat;
                gb.Data[k] += gy.Data[i];
            }
            for (int k = 0; k < d; k++)
            {
                int i = slice[k];
                double xhat = (x.Data[i] - mean) * rstd;
                gx.Data[i] = rstd / d * (d * gy.Data[i] * w.Data[k] - sumG - xhat * sumGx);
            }
        }
        return (gx, gw, gb);
    }

    private static (double mean, double rstd) Stats(RefTensor x, int[] slice, double eps)
    {
        double mean = 0, var = 0;
        foreach (int i in slice) mean += x.Data[i] / slice.Length;
        foreach (int i in slice) var += (x.Data[i] - mean) * (x.Data[i] - mean) / slice.Length;
        return (mean, 1 / Math.Sqrt(var + eps));
    }

    /// <summary>The flat indices of each slice along the axis, in the axis' order.</summary>
    private static IEnumerable<int[]> Slices(int[] shape, int axis)
    {
        int d = shape[axis], inner = 1, outer = 1;
        for (int a = axis + 1; a < shape.Length; a++) inner *= shape[a];
        for (int a = 0; a < axis; a++) outer *= shape[a];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            var slice = new int[d];
            for (int k = 0; k < d; k++) slice[k] = (o * d + k) * inner + i;
            yield return slice;
        }
    }
}
