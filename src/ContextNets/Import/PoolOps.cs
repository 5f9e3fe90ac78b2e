using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>ONNX MaxPool and AveragePool (2-D; per-side pads, ceil_mode, MaxPool's dilations, count_include_pad).</summary>
internal sealed class PoolOp : ImportedOp
{
    private readonly bool _max, _ceil, _includePad;
    private readonly (int h, int w) _kernel, _stride, _dilation;
    private readonly WindowPads _pads;

    public PoolOp(NodeProto node, OnnxAttributes a, bool max) : base(node, a)
    {
        CheckArity(1, 1, 1);
        _max = max;
        if (a.Ints("kernel_shape") is not { Length: 2 }) throw a.Bad("needs a kernel_shape of two values (only 2-D pooling is imported)");
        var k = a.Ints("kernel_shape", 2, 1, 1 << 16, []);
        var s = a.Ints("strides", 2, 1, 1 << 16, [1, 1]);
        var d = a.Ints("dilations", 2, 1, 1 << 16, [1, 1]);
        (_kernel, _stride, _dilation) = ((k[0], k[1]), (s[0], s[1]), (d[0], d[1]));
        if (!max && _dilation != (1, 1)) throw a.Bad("has dilations, which AveragePool has not");
        _ceil = a.Int("ceil_mode", 0, 0, 1) == 1;
        _includePad = a.Int("count_include_pad", 0, 0, 1) == 1;
        a.Require("storage_order", 0, "only row-major indices exist here");
        _pads = new WindowPads(a);
    }

    public override string Mapping =>
        $"{(_max ? "max_pool2d" : "avg_pool2d")} kernel {_kernel} stride {_stride}{(_max ? $" dilation {_dilation}" : $" count_include_pad {_includePad}")} {_pads}{(_ceil ? " ceil" : "")}";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        var span = ((_kernel.h - 1) * _dilation.h + 1, (_kernel.w - 1) * _dilation.w + 1);
        // The symmetric padding the pool kernels take is at most half the kernel. An explicit pad is the op's
        // neutral value: -inf for max; zero for an average that counts the padding; none for one that does not.
        (int, int) limit = (_kernel.h / 2, _kernel.w / 2);
        return _max
            ? [_pads.Apply(x, span, _stride, _ceil, limit, float.NegativeInfinity, (t, p) => F.MaxPool2d(t, _kernel, _stride, p, _dilation), ceilByPadding: true)]
            : [_pads.Apply(x, span, _stride, _ceil, limit, _includePad ? 0f : null, (t, p) => F.AvgPool2d(t, _kernel, _stride, p, _includePad, _ceil))];
    }
}

/// <summary>ONNX GlobalAveragePool on a 2-D map.</summary>
internal sealed class GlobalAveragePoolOp : ImportedOp
{
    public GlobalAveragePoolOp(NodeProto node, OnnxAttributes a) : base(node, a) => CheckArity(1, 1, 1);

    public override string Mapping => "global_avg_pool2d";

    public override Tensor[] Run(GraphValues values, bool training) => [F.GlobalAvgPool2d(In(values, 0))];
}
