using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// 3-D convolution as torch.nn.functional.conv3d: x [N, Cin, D, H, W], weight
    /// [Cout, Cin/groups, kD, kH, kW], bias [Cout]. The output is in the engine's clip layout.
    /// </summary>
    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv3d(x, weight, bias, (stride, stride, stride), (padding, padding, padding), (dilation, dilation, dilation), groups);

    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, (int d, int h, int w) stride, (int d, int h, int w) padding,
        (int d, int h, int w) dilation, int groups = 1)
    {
        var g = Conv3dGeometryOf(x, weight, bias, stride, padding, dilation, groups);
        var y = Tensor.Empty(g.OutShape, g.Format);
        bool record = Tape.ShouldRecord(x, weight, bias);
        DnnlConv3d.Forward(g, x, weight, bias, y, training: record);
        if (!record) return y;
        return Tape.Record(y, "conv3d", bias is null ? [x, weight] : [x, weight, bias], gy =>
        {
            Tensor? gx = null, gw = null, gb = null;
            if (x.RequiresGrad)
            {
                gx = Tensor.Empty(x.Shape, g.Format);
                DnnlConv3d.BackwardData(g, gy, weight, gx);
            }
            if (weight.RequiresGrad || bias?.RequiresGrad == true)
            {
                gw = Tensor.Empty(weight.Shape);
                gb = bias is null ? null : Tensor.Empty(bias.Shape);
                DnnlConv3d.BackwardWeights(g, x, gy, gw, gb);
            }
            return [gx, gw, gb];
        });
    }

    private static Conv3dGeometry Conv3dGeometryOf(Tensor x, Tensor w, Tensor? bias, (int d, int h, int w) stride, (int d, int h, int w) padding,
        (int d, int h, int w) dilation, int groups)
    {
        if (x.Rank != 5) throw new ArgumentException($"conv3d expects input [N, C, D, H, W], got {x.Shape}.");
        if (w.Rank != 5) throw new ArgumentException($"conv3d expects weight [Cout, Cin/groups, kD, kH, kW], got {w.Shape}.");
        if (groups < 1) throw new ArgumentException($"conv3d: groups must be at least 1, got {groups}.");
        if (Math.Min(stride.d, Math.Min(stride.h, stride.w)) < 1 || Math.Min(dilation.d, Math.Min(dilation.h, dilation.w)) < 1
            || Math.Min(padding.d, Math.Min(padding.h, padding.w)) < 0)
            throw new ArgumentException($"conv3d: stride {stride} and dilation {dilation} must be positive, padding {padding} not negative.");
        int cin = x.Shape[1], cout = w.Shape[0];
        if (cin % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"conv3d: input {x.Shape} has {cin} channels and weight {w.Shape} {cout} outputs; both must divide by groups = {groups}.");
        if (w.Shape[1] * groups != cin)
            throw new ArgumentException($"conv3d: weight {w.Shape} expects {w.Shape[1] * groups} input channels (with groups = {groups}), input {x.Shape} has {cin}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"conv3d: bias {bias.Shape} must be [{cout}] for weight {w.Shape}.");
        if (!w.IsContiguous) throw new ArgumentException($"conv3d: weight {w.Shape} must be row-major (OIDHW).");
        if (bias is not null && !bias.IsContiguous) throw new ArgumentException("conv3d: bias must be contiguous.");
        var g = new Conv3dGeometry(x.Shape[0], cin, x.Shape[2], x.Shape[3], x.Shape[4], cout, (w.Shape[2], w.Shape[3], w.Shape[4]),
            stride, padding, dilation, groups, Engine.ClipFormat);
        if (g.OutD < 1 || g.OutH < 1 || g.OutW < 1)
            throw new ArgumentException($"conv3d: input {x.Shape} is too small for a {w.Shape[2]}x{w.Shape[3]}x{w.Shape[4]} kernel with padding {padding}, dilation {dilation}, stride {stride}.");
        return g;
    }
}
