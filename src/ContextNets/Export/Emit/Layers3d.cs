using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// The 3-D layers on clips [N, C, T, H, W] as ONNX nodes: Conv over three axes (with a following BatchNorm3d folded
/// in when the graph folds, as the 2-D convs are), MaxPool and AveragePool over (T, H, W) in floor mode with symmetric
/// padding, and the global average pool.
/// </summary>
internal static class Layers3d
{
    /// <summary>conv, then <paramref name="bn"/> if any (folded into the conv when the graph folds, else a BatchNormalization node), then ReLU if asked.</summary>
    public static OnnxValue ConvBn(OnnxGraph g, Conv3d conv, string convPath, BatchNorm3d? bn, string bnPath, OnnxValue x, bool relu)
    {
        var y = g.FoldBatchNorm || bn is null ? Conv(g, conv, convPath, bn, x) : Layers.BatchNorm(g, bn, bnPath, Conv(g, conv, convPath, null, x));
        return relu ? Ops.Relu(g, convPath, y) : y;
    }

    /// <summary>A Conv node over (T, H, W) with <paramref name="fold"/> (a BatchNorm3d) folded into its weight and bias.</summary>
    public static OnnxValue Conv(OnnxGraph g, Conv3d conv, string path, BatchNorm3d? fold, OnnxValue x)
    {
        if (x.Rank != 5 || x.Dims[1] != conv.InChannels)
            throw new ArgumentException($"ONNX export at {path}: a 3-D conv of {conv.InChannels} input channels got {x.Shape}.");
        if (g.Int8Inputs is not null)
            throw new NotSupportedException($"ONNX export at {path}: 3-D convolutions are exported in fp32 only (no int8 QDQ form).");
        int[] k = [conv.KernelSize.d, conv.KernelSize.h, conv.KernelSize.w], s = [conv.Stride.d, conv.Stride.h, conv.Stride.w],
            p = [conv.Padding.d, conv.Padding.h, conv.Padding.w], d = [conv.Dilation.d, conv.Dilation.h, conv.Dilation.w];
        var dims = new[] { x.Dims[0], conv.OutChannels, 0, 0, 0 };
        for (int i = 0; i < 3; i++)
        {
            dims[i + 2] = (x.Dims[i + 2] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
            if (x.Dims[i + 2] + 2 * p[i] < d[i] * (k[i] - 1) + 1)
                throw new ArgumentException($"ONNX export at {path}: input {x.Shape} is too small for a {k[0]}x{k[1]}x{k[2]} conv.");
        }
        string[] inputs = [x.Name, .. Layers.ConvParameters(g, path, conv.Weight, conv.Bias, fold is null ? null : BatchNormFold.Fold(conv, fold))];
        return g.Op("Conv", path, dims, inputs, OnnxAttr.Ints("kernel_shape", Longs(k)), OnnxAttr.Ints("strides", Longs(s)),
            OnnxAttr.Ints("pads", Longs([.. p, .. p])), OnnxAttr.Ints("dilations", Longs(d)), OnnxAttr.Int("group", conv.Groups));
    }

    /// <summary>A floor-mode max pooling over (T, H, W) with symmetric padding, as F.MaxPool3d.</summary>
    public static OnnxValue MaxPool(OnnxGraph g, string path, OnnxValue x, (int d, int h, int w) kernel, (int d, int h, int w) stride, (int d, int h, int w) padding = default) =>
        Pool(g, "MaxPool", path, x, kernel, stride, padding);

    /// <summary>A floor-mode average pooling over (T, H, W), as F.AvgPool3d: the padding counted in the divisor or not.</summary>
    public static OnnxValue AveragePool(OnnxGraph g, string path, OnnxValue x, (int d, int h, int w) kernel, (int d, int h, int w) stride, (int d, int h, int w) padding, bool countIncludePad) =>
        Pool(g, "AveragePool", path, x, kernel, stride, padding, OnnxAttr.Int("count_include_pad", countIncludePad ? 1 : 0));

    /// <summary>The mean over T, H and W: [N, C, 1, 1, 1].</summary>
    public static OnnxValue GlobalAveragePool(OnnxGraph g, string path, OnnxValue x) =>
        g.Op("GlobalAveragePool", path, [Clip(path, x).Dims[0], x.Dims[1], 1, 1, 1], [x.Name]);

    private static OnnxValue Pool(OnnxGraph g, string op, string path, OnnxValue x, (int d, int h, int w) kernel, (int d, int h, int w) stride, (int d, int h, int w) padding, params Proto.AttributeProto[] extra)
    {
        int[] k = [kernel.d, kernel.h, kernel.w], s = [stride.d, stride.h, stride.w], p = [padding.d, padding.h, padding.w];
        var dims = new[] { Clip(path, x).Dims[0], x.Dims[1], 0, 0, 0 };
        for (int i = 0; i < 3; i++) dims[i + 2] = Ops.PooledSize(x.Dims[i + 2], k[i], s[i], p[i], false);
        if (dims.Any(v => v < 1)) throw new ArgumentException($"ONNX export at {path}: input {x.Shape} is too small for a {k[0]}x{k[1]}x{k[2]} pooling.");
        return g.Op(op, path, dims, [x.Name], [OnnxAttr.Ints("kernel_shape", Longs(k)), OnnxAttr.Ints("strides", Longs(s)), OnnxAttr.Ints("pads", Longs([.. p, .. p])), .. extra]);
    }

    private static OnnxValue Clip(string path, OnnxValue x) =>
        x.Rank == 5 ? x : throw new ArgumentException($"ONNX export at {path}: a 3-D pooling needs clips [N, C, T, H, W], got {x.Shape}.");

    private static long[] Longs(int[] values) => Array.ConvertAll(values, v => (long)v);
}
