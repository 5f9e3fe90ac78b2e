using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>The NN layers as ONNX nodes: convolutions (with a following BatchNorm folded in or not), BatchNorm, LayerNorm over channels, Linear.</summary>
internal static class Layers
{
    /// <summary>
    /// conv, then <paramref name="bn"/> if any (folded into the conv's weights when the graph folds, else a
    /// BatchNormalization node), then ReLU if asked. Initializers are named after the conv (and the BN when not folded).
    /// </summary>
    public static OnnxValue ConvBn(OnnxGraph g, Conv2d conv, string convPath, BatchNorm2d? bn, string bnPath, OnnxValue x, bool relu)
    {
        var y = g.FoldBatchNorm || bn is null ? Conv(g, conv, convPath, bn, x) : BatchNorm(g, bn, bnPath, Conv(g, conv, convPath, null, x));
        return relu ? Ops.Relu(g, convPath, y) : y;
    }

    /// <summary>A Conv node with <paramref name="fold"/> (a BatchNorm) folded into its weight and bias.</summary>
    public static OnnxValue Conv(OnnxGraph g, Conv2d conv, string path, BatchNorm2d? fold, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != conv.InChannels)
            throw new ArgumentException($"ONNX export at {path}: a conv of {conv.InChannels} input channels got {x.Shape}.");
        int k = conv.KernelSize, s = conv.Stride, p = conv.Padding, d = conv.Dilation;
        int h = (x.Dims[2] + 2 * p - d * (k - 1) - 1) / s + 1, w = (x.Dims[3] + 2 * p - d * (k - 1) - 1) / s + 1;
        if (x.Dims[2] + 2 * p < d * (k - 1) + 1 || x.Dims[3] + 2 * p < d * (k - 1) + 1)
            throw new ArgumentException($"ONNX export at {path}: input {x.Shape} is too small for a {k}x{k} conv (dilation {d}, padding {p}).");
        var inputs = new List<string> { x.Name };
        if (g.Int8Inputs is { } int8 && int8.TryGetValue(conv, out var q))
        {
            if (!g.FoldBatchNorm) throw new ArgumentException("An int8 (QDQ) export folds every BatchNorm into its conv, as the prepared model does: FoldBatchNorm must stay true.");
            var (weight, bias) = BatchNormFold.Fold(conv, fold);
            var (quantizedWeight, quantizedBias) = QdqConv.Parameters(g, path, weight, [.. conv.Weight.Shape.Dims], bias, q.Scale);
            inputs = [QdqConv.Input(g, path, x, q).Name, quantizedWeight, quantizedBias];
            g.Int8Written.Add(conv);
        }
        else inputs.AddRange(ConvParameters(g, path, conv.Weight, conv.Bias, fold is null ? null : BatchNormFold.Fold(conv, fold)));
        return g.Op("Conv", path, [x.Dims[0], conv.OutChannels, h, w], inputs,
            OnnxAttr.Ints("kernel_shape", k, k), OnnxAttr.Ints("strides", s, s), OnnxAttr.Ints("pads", p, p, p, p),
            OnnxAttr.Ints("dilations", d, d), OnnxAttr.Int("group", conv.Groups));
    }

    /// <summary>A conv's weight and bias initializers (2-D or 3-D): the <paramref name="folded"/> ones when its BN was folded in, else its own.</summary>
    public static IEnumerable<string> ConvParameters(OnnxGraph g, string path, Tensor weight, Tensor? bias, (float[] weight, float[] bias)? folded)
    {
        if (folded is var (w, b))
            return [g.Weights(path + ".weight", w, [.. weight.Shape.Dims]), g.Weights(path + ".bias", b, weight.Shape[0])];
        return bias is null ? [g.Weights(path + ".weight", weight)] : [g.Weights(path + ".weight", weight), g.Weights(path + ".bias", bias)];
    }

    /// <summary>An eval-mode BatchNormalization node with the running statistics (maps or clips).</summary>
    public static OnnxValue BatchNorm(OnnxGraph g, NN.BatchNorm bn, string path, OnnxValue x)
    {
        if (x.Rank < 3 || x.Dims[1] != bn.Channels)
            throw new ArgumentException($"ONNX export at {path}: a BatchNorm of {bn.Channels} channels got {x.Shape}.");
        return g.Op("BatchNormalization", path, x.Dims,
            [x.Name, g.Weights(path + ".weight", bn.Weight), g.Weights(path + ".bias", bn.Bias),
             g.Weights(path + ".running_mean", bn.RunningMean), g.Weights(path + ".running_var", bn.RunningVar)],
            OnnxAttr.Float("epsilon", bn.Eps));
    }

    /// <summary>
    /// LayerNorm over the channels of [N, C, ...] at each position (timm's LayerNorm2d). Opset 17 has the op; it
    /// normalizes the trailing axes, so a map with positions is transposed to channels-last around it. Below 17 it is
    /// written out over axis 1: mean, x - mean, its square's mean, + eps, sqrt, divide, scale and shift.
    /// </summary>
    public static OnnxValue LayerNorm(OnnxGraph g, Tensor weight, Tensor bias, float eps, string path, OnnxValue x)
    {
        int c = weight.Shape[0];
        if (x.Rank < 2 || x.Dims[1] != c)
            throw new ArgumentException($"ONNX export at {path}: a LayerNorm over {c} channels got {x.Shape}.");
        int[] trailing = [c, .. Enumerable.Repeat(1, x.Rank - 2)];
        bool positions = x.Dims.Skip(2).Any(d => d != 1);
        if (g.Opset >= OnnxOpsets.LayerNormalization)
        {
            if (!positions)
                return g.Op("LayerNormalization", path, x.Dims, [x.Name, g.Weights(path + ".weight", weight, trailing), g.Weights(path + ".bias", bias, trailing)],
                    OnnxAttr.Int("axis", 1), OnnxAttr.Float("epsilon", eps));
            int[] toLast = [0, .. Enumerable.Range(2, x.Rank - 2), 1], back = [0, x.Rank - 1, .. Enumerable.Range(1, x.Rank - 2)];
            var last = Ops.Transpose(g, path, x, toLast);
            var normed = g.Op("LayerNormalization", path, last.Dims, [last.Name, g.Weights(path + ".weight", weight), g.Weights(path + ".bias", bias)],
                OnnxAttr.Int("axis", -1), OnnxAttr.Float("epsilon", eps));
            return Ops.Transpose(g, path, normed, back);
        }
        var mean = Ops.ReduceMean(g, path, x, 1, keepDims: true);
        var centered = Ops.Binary(g, "Sub", path, x, mean);
        var variance = Ops.ReduceMean(g, path, Ops.Binary(g, "Mul", path, centered, centered), 1, keepDims: true);
        var std = Ops.Unary(g, "Sqrt", path, g.Op("Add", path, variance.Dims, [variance.Name, g.Scalar(eps)]));
        var y = Ops.Binary(g, "Div", path, centered, std);
        var scaled = g.Op("Mul", path, y.Dims, [y.Name, g.Weights(path + ".weight", weight, trailing)]);
        return g.Op("Add", path, y.Dims, [scaled.Name, g.Weights(path + ".bias", bias, trailing)]);
    }

    /// <summary>y = x W^T + b on [N, in] as one Gemm.</summary>
    public static OnnxValue Linear(OnnxGraph g, Linear fc, string path, OnnxValue x)
    {
        if (x.Rank != 2 || x.Dims[1] != fc.InFeatures)
            throw new ArgumentException($"ONNX export at {path}: a Linear of {fc.InFeatures} inputs got {x.Shape}.");
        var inputs = new List<string> { x.Name, g.Weights(path + ".weight", fc.Weight) };
        if (fc.Bias is not null) inputs.Add(g.Weights(path + ".bias", fc.Bias));
        return g.Op("Gemm", path, [x.Dims[0], fc.OutFeatures], inputs, OnnxAttr.Int("transB", 1));
    }
}
