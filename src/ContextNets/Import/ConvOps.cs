using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>ONNX Conv (2-D; groups, dilations, per-side pads, auto_pad) on F.Conv2d.</summary>
internal sealed class ConvOp : ImportedOp
{
    private readonly (int h, int w) _stride, _dilation;
    private readonly int _groups;
    private readonly int[]? _kernel;

    public ConvOp(NodeProto node, OnnxAttributes a) : base(node, a)
    {
        CheckArity(2, 3, 1);
        _kernel = a.Ints("kernel_shape") is null ? null : a.Ints("kernel_shape", 2, 1, 1 << 16, []);
        var s = a.Ints("strides", 2, 1, 1 << 16, [1, 1]);
        var d = a.Ints("dilations", 2, 1, 1 << 16, [1, 1]);
        (_stride, _dilation) = ((s[0], s[1]), (d[0], d[1]));
        _groups = a.Int("group", 1, 1, int.MaxValue);
        Pads = new WindowPads(a);
    }

    public WindowPads Pads { get; }
    public string WeightName => Node.Input[1];
    public string? BiasName => Node.Input.Count > 2 && Node.Input[2].Length > 0 ? Node.Input[2] : null;

    public override string Mapping =>
        $"conv2d stride {_stride} dilation {_dilation} groups {_groups} {Pads}; weight '{WeightName}'{(BiasName is null ? "" : $", bias '{BiasName}'")}";

    public override Tensor[] Run(GraphValues values, bool training) => [Convolve(In(values, 0), In(values, 1), Optional(values, 2))];

    /// <summary>This conv with the given weight and bias (the prepared graph passes BatchNorm-folded ones).</summary>
    public Tensor Convolve(Tensor x, Tensor weight, Tensor? bias)
    {
        if (weight.Rank != 4) throw new ArgumentException($"only 2-D convolutions are imported; the weight is {weight.Shape}.");
        if (_kernel is not null && (_kernel[0] != weight.Shape[2] || _kernel[1] != weight.Shape[3]))
            throw new ArgumentException($"kernel_shape [{_kernel[0]}, {_kernel[1]}] disagrees with the weight {weight.Shape}.");
        var span = ((weight.Shape[2] - 1) * _dilation.h + 1, (weight.Shape[3] - 1) * _dilation.w + 1);
        return Pads.Apply(x, span, _stride, ceil: false, (int.MaxValue, int.MaxValue), 0f,
            (input, padding) => F.Conv2d(input, weight, bias, _stride, padding, _dilation, _groups));
    }
}

/// <summary>
/// ONNX BatchNormalization (inference form: scale, B, mean, var) as a trainable BatchNorm: in training mode it
/// normalizes with the batch's statistics and updates the running ones, which are the model's buffers. ONNX's
/// momentum weighs the old running value (PyTorch's weighs the new one). Inputs of rank 2 or 3 run as [N, C, L, 1].
/// </summary>
internal sealed class BatchNormOp : ImportedOp
{
    private readonly float _eps, _momentum;

    public BatchNormOp(NodeProto node, OnnxAttributes a, int opset) : base(node, a)
    {
        CheckArity(5, 5, 1);
        _eps = a.Float("epsilon", 1e-5f);
        float momentum = a.Float("momentum", 0.9f);
        if (!(_eps > 0) || !(momentum >= 0 && momentum <= 1)) throw a.Bad($"has epsilon {_eps} and momentum {momentum}");
        _momentum = 1 - momentum;
        if (opset < 9) a.Require("spatial", 1, "per-position statistics are not imported");
        a.Require("training_mode", 0, "the training form's extra outputs are not imported (the model's Train() mode trains it)");
    }

    public float Eps => _eps;
    public string ScaleName => Node.Input[1];
    public string BiasName => Node.Input[2];
    public string MeanName => Node.Input[3];
    public string VarName => Node.Input[4];

    public override string Mapping => $"batch_norm eps {_eps:G4} momentum {_momentum:G4}; scale '{ScaleName}', bias '{BiasName}', running stats '{MeanName}', '{VarName}'";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        var (scale, bias, mean, variance) = (In(values, 1), In(values, 2), In(values, 3), In(values, 4));
        if (x.Rank == 4) return [F.BatchNorm2d(x, scale, bias, mean, variance, training, _momentum, _eps)];
        if (x.Rank is not (2 or 3)) throw new ArgumentException($"batch_norm expects an input of rank 2 to 4, got {x.Shape}.");
        var y = F.BatchNorm2d(F.Reshape(x, x.Shape[0], x.Shape[1], x.Rank == 3 ? x.Shape[2] : 1, 1), scale, bias, mean, variance, training, _momentum, _eps);
        return [F.Reshape(y, [.. x.Shape])];
    }
}
