using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// 2-D convolution as torch.nn.functional.conv2d: x [N, Cin, H, W], weight
    /// [Cout, Cin/groups, kH, kW], bias [Cout]. The output is in the engine's
    /// activation layout.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(x, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups = 1)
    {
        var g = ConvGeometryOf(x, weight, bias, stride, padding, dilation, groups);
        var y = Tensor.Empty(g.OutShape, Engine.ActivationFormat);
        bool record = Tape.ShouldRecord(x, weight, bias);
        DnnlConv.Forward(g, x, weight, bias, y, training: record);
        if (!record) return y;
        return Tape.Record(y, "conv2d", bias is null ? [x, weight] : [x, weight, bias], gy =>
        {
            Tensor? gx = null, gw = null, gb = null;
            if (x.RequiresGrad)
            {
                gx = Tensor.Empty(x.Shape, DnnlConv.BackwardDataLayout(g));
                DnnlConv.BackwardData(g, gy, weight, gx);
            }
            if (weight.RequiresGrad || bias?.RequiresGrad == true)
            {
                gw = Tensor.Empty(weight.Shape);
                gb = bias is null ? null : Tensor.Empty(bias.Shape);
                DnnlConv.BackwardWeights(g, x, gy, gw, gb);
            }
            return [gx, gw, gb];
        });
    }

    internal static ConvGeometry ConvGeometryOf(Tensor x, Tensor w, Tensor? bias, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups)
    {
        if (x.Rank != 4) throw new ArgumentException($"conv2d expects input [N, C, H, W], got {x.Shape}.");
        if (w.Rank != 4) throw new ArgumentException($"conv2d expects weight [Cout, Cin/groups, kH, kW], got {w.Shape}.");
        if (groups < 1) throw new ArgumentException($"conv2d: groups must be at least 1, got {groups}.");
        if (stride.h < 1 || stride.w < 1 || dilation.h < 1 || dilation.w < 1 || padding.h < 0 || padding.w < 0)
            throw new ArgumentException($"conv2d: stride {stride} and dilation {dilation} must be positive, padding {padding} not negative.");
        int cin = x.Shape[1], cout = w.Shape[0];
        if (groups > cin) throw new ArgumentException($"conv2d: {groups} groups is more than the {cin} input channels of {x.Shape}.");
        if (cin % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"conv2d: input {x.Shape} has {cin} channels and weight {w.Shape} {cout} outputs; both must divide by groups = {groups}.");
        if (w.Shape[1] * groups != cin)
            throw new ArgumentException($"conv2d: weight {w.Shape} expects {w.Shape[1] * groups} input channels (with groups = {groups}), input {x.Shape} has {cin}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"conv2d: bias {bias.Shape} must be [{cout}] for weight {w.Shape}.");
        if (!w.IsContiguous) throw new ArgumentException($"conv2d: weight {w.Shape} must be row-major (OIHW).");
        if (bias is not null && !bias.IsContiguous) throw new ArgumentException("conv2d: bias must be contiguous.");
        var g = new ConvGeometry(x.Shape[0], cin, x.Shape[2], x.Shape[3], cout, w.Shape[2], w.Shape[3],
            stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, groups);
        if (g.OutH < 1 || g.OutW < 1)
            throw new ArgumentException($"conv2d: input {x.Shape} is too small for a {w.Shape[2]}x{w.Shape[3]} kernel with padding {padding}, dilation {dilation}, stride {stride}.");
        return g;
    }
}
