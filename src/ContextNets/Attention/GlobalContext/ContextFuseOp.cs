using ContextNets.Attention;
using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// The broadcast fusion of a context into x [N, C, H, W]: y = x * scale + shift,
    /// scale and shift [N, C, 1, 1] (either may be null). One sweep over x
    /// forward; backward one sweep for the gradients of scale and shift, and
    /// grad x left to the pooling when <paramref name="link"/> couples them.
    /// </summary>
    internal static Tensor ContextFuse(Tensor x, Tensor? scale, Tensor? shift, ContextLink? link)
    {
        CheckContextInput("context_fuse", x);
        if (scale is null && shift is null) throw new ArgumentException($"context_fuse: neither a scale nor a shift for input {x.Shape}.");
        var perChannel = new Shape(x.Shape[0], x.Shape[1], 1, 1);
        foreach (var (t, name) in new[] { (scale, "scale"), (shift, "shift") })
            if (t is not null && t.Shape != perChannel)
                throw new ArgumentException($"context_fuse: {name} {t.Shape} must be {perChannel} for input {x.Shape}.");

        var inputs = new List<Tensor> { x };
        if (scale is not null) inputs.Add(scale);
        if (shift is not null) inputs.Add(shift);
        return new ContextFuseOp(x, scale, shift, link).Apply([.. inputs]);
    }
}

/// <summary>The fusion of <see cref="F.ContextFuse"/>, one application.</summary>
internal sealed unsafe class ContextFuseOp(Tensor x, Tensor? scale, Tensor? shift, ContextLink? link) : FusedOp
{
    private readonly int _n = x.Shape[0], _c = x.Shape[1], _hw = x.Shape[2] * x.Shape[3];

    public override string Name => "context_fuse";

    protected override Tensor Forward()
    {
        var y = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
        using (var xs = F.Materialize(x, MemoryFormat.ChannelsLast))
        using (var s = scale is null ? null : F.Materialize(scale, MemoryFormat.Contiguous))
        using (var t = shift is null ? null : F.Materialize(shift, MemoryFormat.Contiguous))
            ContextPoolKernels.Fuse(xs.Data, _n, _hw, _c, s is null ? null : s.Data, t is null ? null : t.Data, y.Data);
        if (y.IsIn(Engine.ActivationFormat)) return y;
        var moved = F.Materialize(y, Engine.ActivationFormat);
        y.Dispose();
        return moved;
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        var perChannel = new Shape(_n, _c, 1, 1);
        var g = F.Materialize(gradOutput, MemoryFormat.ChannelsLast);
        var s = scale is null ? null : F.Materialize(scale, MemoryFormat.Contiguous);
        var gs = scale?.RequiresGrad == true ? Tensor.Empty(perChannel) : null;
        var gt = shift?.RequiresGrad == true ? Tensor.Empty(perChannel) : null;
        if (gs is not null || gt is not null)
        {
            using var xs = gs is null ? null : F.Materialize(x, MemoryFormat.ChannelsLast);
            ContextPoolKernels.FuseBackward(xs is null ? null : xs.Data, g.Data, _n, _hw, _c, gs is null ? null : gs.Data, gt is null ? null : gt.Data);
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
                ContextPoolKernels.Fuse(g.Data, _n, _hw, _c, s.Data, null, gx.Data);
            }
            if (!ReferenceEquals(gx, g)) g.Dispose();
            s?.Dispose();
        }
        var grads = new List<Tensor?> { gx };
        if (scale is not null) grads.Add(gs);
        if (shift is not null) grads.Add(gt);
        return [.. grads];
    }
}
