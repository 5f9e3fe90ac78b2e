using ContextNets.Autograd;
using ContextNets.Attention;

namespace ContextNets;

/// <summary>
/// Couples a context pooling with the fusion that consumes its context, for
/// one forward pass of a block. The fusion's backward runs first (the pooling
/// is upstream of it through the transform), and instead of writing its term
/// of grad x, gy * scale, it leaves gy and scale here; the pooling's backward
/// then writes the whole grad x in its own sweep. This saves a write and a
/// read-read-write accumulation over a tensor the size of x.
/// </summary>
internal sealed class ContextLink
{
    /// <summary>The x of the pooling, set when its backward will produce grad x.</summary>
    internal Tensor? Source { get; set; }

    internal Tensor? FusionGrad { get; set; }
    internal Tensor? FusionScale { get; set; }

    internal bool Claims(Tensor x) => ReferenceEquals(Source, x);

    /// <summary>Hands the fusion's gradient over (the caller disposes both) and forgets it.</summary>
    internal (Tensor? grad, Tensor? scale) Take()
    {
        var taken = (FusionGrad, FusionScale);
        FusionGrad = null;
        FusionScale = null;
        return taken;
    }
}

public static partial class F
{
    /// <summary>
    /// Global context pooling of x [N, C, H, W] into ctx [N, C, 1, 1]: with a
    /// weight [1, C, 1, 1] (and bias [1]), ctx = sum_j softmax_j(w . x_j + b) x_j,
    /// the softmax handed back in <paramref name="weights"/> [N, H*W]; without, the mean.
    /// One sweep over x forward, one backward.
    /// </summary>
    internal static unsafe Tensor ContextPool(Tensor x, Tensor? weight, Tensor? bias, ContextLink? link, out Tensor? weights)
    {
        CheckContextInput("context_pool", x);
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        if (weight is null && bias is not null) throw new ArgumentException($"context_pool: a bias {bias.Shape} without a weight (input {x.Shape}).");
        if (weight is not null && weight.Shape != new Shape(1, c, 1, 1))
            throw new ArgumentException($"context_pool: weight {weight.Shape} must be [1, {c}, 1, 1] for input {x.Shape}.");
        if (bias is not null && bias.Shape != new Shape(1))
            throw new ArgumentException($"context_pool: bias {bias.Shape} must be [1] for input {x.Shape}.");

        var ctx = Tensor.Empty([n, c, 1, 1]);
        weights = weight is null ? null : Tensor.Empty([n, hw]);
        using (var xs = Materialize(x, MemoryFormat.ChannelsLast))
        using (var w = weight is null ? null : Materialize(weight, MemoryFormat.Contiguous))
        {
            if (w is null) ContextPoolKernels.MeanPool(xs.Data, n, hw, c, ctx.Data);
            else ContextPoolKernels.AttentionPool(xs.Data, n, hw, c, w.Data, bias?.Item() ?? 0f, ctx.Data, weights!.Data);
        }
        if (!Tape.ShouldRecord(x, weight, bias)) return ctx;

        if (link is not null && x.RequiresGrad) link.Source = x;
        var a = weights;
        Tensor[] inputs = weight is null ? [x] : bias is null ? [x, weight] : [x, weight, bias];
        return Tape.Record(ctx, "context_pool", inputs, gctx =>
        {
            using var xs = Materialize(x, MemoryFormat.ChannelsLast);
            using var w = weight is null ? null : Materialize(weight, MemoryFormat.Contiguous);
            using var g = Materialize(gctx, MemoryFormat.Contiguous);
            var (fusionGrad, fusionScale) = link is not null && link.Claims(x) ? link.Take() : (null, null);
            using var gy = fusionGrad;
            using var scale = fusionScale;
            var gx = x.RequiresGrad ? Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast) : null;
            var gw = weight?.RequiresGrad == true ? Tensor.Empty(weight.Shape) : null;
            // A shift shared by all logits leaves the softmax unchanged: the bias gradient is exactly 0.
            var gb = bias?.RequiresGrad == true ? Tensor.Zeros(bias.Shape) : null;
            var p = new ContextPoolKernels.PoolGrad
            {
                X = xs.Data, GradCtx = g.Data, Ctx = ctx.Data,
                W = w is null ? null : w.Data, Weights = a is null ? null : a.Data,
                FusionGrad = gy is null ? null : gy.Data, FusionScale = scale is null ? null : scale.Data,
                GradX = gx is null ? null : gx.Data, GradW = gw is null ? null : gw.Data,
            };
            ContextPoolKernels.PoolBackward(p, n, hw, c);
            return weight is null ? [gx] : bias is null ? [gx, gw] : [gx, gw, gb];
        });
    }

    /// <summary>
    /// The broadcast fusion of a context into x [N, C, H, W]: y = x * scale + shift,
    /// scale and shift [N, C, 1, 1] (either may be null). One sweep over x
    /// forward; backward one sweep for the gradients of scale and shift, and
    /// grad x left to the pooling when <paramref name="link"/> couples them.
    /// </summary>
    internal static unsafe Tensor ContextFuse(Tensor x, Tensor? scale, Tensor? shift, ContextLink? link)
    {
        CheckContextInput("context_fuse", x);
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        if (scale is null && shift is null) throw new ArgumentException($"context_fuse: neither a scale nor a shift for input {x.Shape}.");
        var perChannel = new Shape(n, c, 1, 1);
        foreach (var (t, name) in new[] { (scale, "scale"), (shift, "shift") })
            if (t is not null && t.Shape != perChannel)
                throw new ArgumentException($"context_fuse: {name} {t.Shape} must be {perChannel} for input {x.Shape}.");

        var y = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
        using (var xs = Materialize(x, MemoryFormat.ChannelsLast))
        using (var s = scale is null ? null : Materialize(scale, MemoryFormat.Contiguous))
        using (var t = shift is null ? null : Materialize(shift, MemoryFormat.Contiguous))
            ContextPoolKernels.Fuse(xs.Data, n, hw, c, s is null ? null : s.Data, t is null ? null : t.Data, y.Data);
        if (!y.IsIn(Engine.ActivationFormat))
        {
            var moved = Materialize(y, Engine.ActivationFormat);
            y.Dispose();
            y = moved;
        }
        if (!Tape.ShouldRecord(x, scale, shift)) return y;

        var inputs = new List<Tensor> { x };
        if (scale is not null) inputs.Add(scale);
        if (shift is not null) inputs.Add(shift);
        return Tape.Record(y, "context_fuse", [.. inputs], gy =>
        {
            var g = Materialize(gy, MemoryFormat.ChannelsLast);
            var s = scale is null ? null : Materialize(scale, MemoryFormat.Contiguous);
            var gs = scale?.RequiresGrad == true ? Tensor.Empty(perChannel) : null;
            var gt = shift?.RequiresGrad == true ? Tensor.Empty(perChannel) : null;
            if (gs is not null || gt is not null)
            {
                using var xs = gs is null ? null : Materialize(x, MemoryFormat.ChannelsLast);
                ContextPoolKernels.FuseBackward(xs is null ? null : xs.Data, g.Data, n, hw, c, gs is null ? null : gs.Data, gt is null ? null : gt.Data);
            }
            Tensor? gx = null;
            if (x.RequiresGrad && link is not null && link.Claims(x))
            {
                // The pooling's backward, which runs next, writes all of grad x (see ContextLink).
                link.FusionGrad = g;
                link.FusionScale = s;
            }
            else
            {
                if (x.RequiresGrad && s is null) gx = g;
                else if (x.RequiresGrad && s is not null)
                {
                    gx = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
                    ContextPoolKernels.Fuse(g.Data, n, hw, c, s.Data, null, gx.Data);
                }
                if (!ReferenceEquals(gx, g)) g.Dispose();
                s?.Dispose();
            }
            var grads = new List<Tensor?> { gx };
            if (scale is not null) grads.Add(gs);
            if (shift is not null) grads.Add(gt);
            return [.. grads];
        });
    }

    private static void CheckContextInput(string op, Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: expected input [N, C, H, W], got {x.Shape}.");
        if (x.Shape[2] * x.Shape[3] == 0 || x.Shape[1] == 0) throw new ArgumentException($"{op}: input {x.Shape} has no positions or no channels.");
    }
}
