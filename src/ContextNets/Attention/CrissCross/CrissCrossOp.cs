using ContextNets.Autograd;

namespace ContextNets.Attention;

/// <summary>
/// One criss-cross attention pass as one op with its own backward: y = gamma x aggregate + x, where aggregate_u
/// sums v over the criss-cross path of u with one softmax over the logits q_u . k (see <see cref="CrissCrossGeometry"/>).
/// The 1x1 projections that make q, k and v stay ordinary convolutions, upstream of it.
/// </summary>
internal static unsafe class CrissCrossOp
{
    /// <summary>
    /// y [N, C, H, W] for x and v [N, C, H, W], q and k [N, Cq, H, W] and gamma [1]; the softmax weights come back in
    /// <paramref name="attention"/> [N, H, W, H + W] (slot a &lt; H: column key (a, j), slot H + b: row key (i, b)).
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor q, Tensor k, Tensor v, Tensor gamma, out Tensor attention)
    {
        var g = Geometry(x, q, k, v, gamma);
        attention = Tensor.Empty(new Shape(g.N, g.H, g.W, g.Path));
        var aggregate = Tensor.Empty(v.Shape, MemoryFormat.ChannelsLast);
        var y = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
        float gammaValue = gamma.Item();
        using (var xs = F.Materialize(x, MemoryFormat.ChannelsLast))
        using (var qs = F.Materialize(q, MemoryFormat.ChannelsLast))
        using (var ks = F.Materialize(k, MemoryFormat.ChannelsLast))
        using (var vs = F.Materialize(v, MemoryFormat.ChannelsLast))
        {
            CrissCrossKernels.Forward(g, qs.Data, ks.Data, vs.Data, attention.Data, aggregate.Data);
            CrissCrossKernels.Residual(xs.Data, aggregate.Data, gammaValue, y.Data, y.Numel);
        }
        if (!y.IsIn(Engine.ActivationFormat))
        {
            var moved = F.Materialize(y, Engine.ActivationFormat);
            y.Dispose();
            y = moved;
        }
        if (!Tape.ShouldRecord([x, q, k, v, gamma]))
        {
            aggregate.Dispose();
            return y;
        }

        var kept = attention.Alias();
        return Tape.Record(y, "criss_cross", [x, q, k, v, gamma], gy =>
        {
            if (aggregate.IsDisposed)
                throw new InvalidOperationException($"criss_cross {x.Shape}: the forward's buffers are gone (freed by a first backward); run the forward again.");
            using var gys = F.Materialize(gy, MemoryFormat.ChannelsLast);
            using var qs = F.Materialize(q, MemoryFormat.ChannelsLast);
            using var ks = F.Materialize(k, MemoryFormat.ChannelsLast);
            using var vs = F.Materialize(v, MemoryFormat.ChannelsLast);
            Tensor? gx = x.RequiresGrad ? F.Materialize(gy, MemoryFormat.ChannelsLast) : null;
            Tensor? gGamma = gamma.RequiresGrad ? Tensor.Full(gamma.Shape, (float)CrissCrossKernels.GammaGradient(gys.Data, aggregate.Data, gys.Numel)) : null;
            // The pass is linear in v, and its q, k part is scaled by gamma: with gamma = 0 (its init) all three get 0.
            var gq = q.RequiresGrad ? Tensor.Empty(q.Shape, MemoryFormat.ChannelsLast) : null;
            var gk = k.RequiresGrad ? Tensor.Empty(k.Shape, MemoryFormat.ChannelsLast) : null;
            var gv = v.RequiresGrad ? Tensor.Empty(v.Shape, MemoryFormat.ChannelsLast) : null;
            if (gq is not null || gk is not null || gv is not null)
            {
                using var gLogits = Tensor.Empty(kept.Shape);
                using var gqAll = gq is null ? Tensor.Empty(q.Shape, MemoryFormat.ChannelsLast) : null;
                CrissCrossKernels.QueryBackward(g, gys.Data, gammaValue, ks.Data, vs.Data, kept.Data, gLogits.Data, (gq ?? gqAll!).Data);
                if (gk is not null || gv is not null)
                    CrissCrossKernels.KeyValueBackward(g, gys.Data, gammaValue, qs.Data, kept.Data, gLogits.Data,
                        gk is null ? null : gk.Data, gv is null ? null : gv.Data);
            }
            aggregate.Dispose();
            kept.Dispose();
            return [gx, gq, gk, gv, gGamma];
        });
    }

    private static CrissCrossGeometry Geometry(Tensor x, Tensor q, Tensor k, Tensor v, Tensor gamma)
    {
        if (x.Rank != 4 || x.Shape[2] * x.Shape[3] == 0 || x.Shape[1] == 0)
            throw new ArgumentException($"criss_cross: expected x [N, C, H, W] with positions and channels, got {x.Shape}.");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (v.Shape != x.Shape) throw new ArgumentException($"criss_cross: v {v.Shape} must have the shape of x {x.Shape}.");
        if (q.Rank != 4 || q.Shape[0] != n || q.Shape[2] != h || q.Shape[3] != w || q.Shape[1] == 0)
            throw new ArgumentException($"criss_cross: q {q.Shape} must be [{n}, Cq, {h}, {w}] for x {x.Shape}.");
        if (k.Shape != q.Shape) throw new ArgumentException($"criss_cross: k {k.Shape} must have the shape of q {q.Shape}.");
        if (gamma.Shape != new Shape(1)) throw new ArgumentException($"criss_cross: gamma {gamma.Shape} must be [1].");
        return new CrissCrossGeometry(n, h, w, q.Shape[1], c);
    }
}
