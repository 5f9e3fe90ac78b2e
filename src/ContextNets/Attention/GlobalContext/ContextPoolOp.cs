using ContextNets.Attention;
using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Global context pooling of x [N, C, H, W] into ctx [N, C, 1, 1]: with a
    /// weight [1, C, 1, 1] (and bias [1]), ctx = sum_j softmax_j(w . x_j + b) x_j,
    /// the softmax handed back in <paramref name="weights"/> [N, H*W]; without, the mean.
    /// One sweep over x forward, one backward.
    /// </summary>
    internal static Tensor ContextPool(Tensor x, Tensor? weight, Tensor? bias, ContextLink? link, out Tensor? weights)
    {
        CheckContextInput("context_pool", x);
        int c = x.Shape[1];
        if (weight is null && bias is not null) throw new ArgumentException($"context_pool: a bias {bias.Shape} without a weight (input {x.Shape}).");
        if (weight is not null && weight.Shape != new Shape(1, c, 1, 1))
            throw new ArgumentException($"context_pool: weight {weight.Shape} must be [1, {c}, 1, 1] for input {x.Shape}.");
        if (bias is not null && bias.Shape != new Shape(1))
            throw new ArgumentException($"context_pool: bias {bias.Shape} must be [1] for input {x.Shape}.");

        var op = new ContextPoolOp(x, weight, bias, link);
        var ctx = op.Apply(weight is null ? [x] : bias is null ? [x, weight] : [x, weight, bias]);
        weights = op.Weights;
        // Only a recorded pooling writes grad x, so only then may the fusion leave its share to it.
        if (link is not null && x.RequiresGrad && ctx.RequiresGrad) link.Source = x;
        return ctx;
    }

    private static void CheckContextInput(string op, Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: expected input [N, C, H, W], got {x.Shape}.");
        if (x.Shape[2] * x.Shape[3] == 0 || x.Shape[1] == 0) throw new ArgumentException($"{op}: input {x.Shape} has no positions or no channels.");
    }
}

/// <summary>The context pooling of <see cref="F.ContextPool"/>, one application, with the softmax it used as a side output.</summary>
internal sealed unsafe class ContextPoolOp(Tensor x, Tensor? weight, Tensor? bias, ContextLink? link) : FusedOp
{
    private readonly int _n = x.Shape[0], _c = x.Shape[1], _hw = x.Shape[2] * x.Shape[3];
    private Tensor? _ctx;

    public override string Name => "context_pool";

    /// <summary>The softmax over the positions [N, H*W] with a weight, null for the mean; the caller owns it.</summary>
    public Tensor? Weights { get; private set; }

    protected override Tensor Forward()
    {
        var ctx = Tensor.Empty([_n, _c, 1, 1]);
        Weights = weight is null ? null : Tensor.Empty([_n, _hw]);
        using (var xs = F.Materialize(x, MemoryFormat.ChannelsLast))
        using (var w = weight is null ? null : F.Materialize(weight, MemoryFormat.Contiguous))
        {
            if (w is null) ContextPoolKernels.MeanPool(xs.Data, _n, _hw, _c, ctx.Data);
            else ContextPoolKernels.AttentionPool(xs.Data, _n, _hw, _c, w.Data, bias?.Item() ?? 0f, ctx.Data, Weights!.Data);
        }
        _ctx = ctx;
        return ctx;
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        using var xs = F.Materialize(x, MemoryFormat.ChannelsLast);
        using var w = weight is null ? null : F.Materialize(weight, MemoryFormat.Contiguous);
        using var g = F.Materialize(gradOutput, MemoryFormat.Contiguous);
        var (fusionGrad, fusionScale) = link is not null && link.Claims(x) ? link.Take() : (null, null);
        using var gy = fusionGrad;
        using var scale = fusionScale;
        var gx = x.RequiresGrad ? Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast) : null;
        var gw = weight?.RequiresGrad == true ? Tensor.Empty(weight.Shape) : null;
        // A shift shared by all logits leaves the softmax unchanged: the bias gradient is exactly 0.
        var gb = bias?.RequiresGrad == true ? Tensor.Zeros(bias.Shape) : null;
        var p = new ContextPoolKernels.PoolGrad
        {
            X = xs.Data, GradCtx = g.Data, Ctx = _ctx!.Data,
            W = w is null ? null : w.Data, Weights = Weights is null ? null : Weights.Data,
            FusionGrad = gy is null ? null : gy.Data, FusionScale = scale is null ? null : scale.Data,
            GradX = gx is null ? null : gx.Data, GradW = gw is null ? null : gw.Data,
        };
        ContextPoolKernels.PoolBackward(p, _n, _hw, _c);
        return weight is null ? [gx] : bias is null ? [gx, gw] : [gx, gw, gb];
    }
}
