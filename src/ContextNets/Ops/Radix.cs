using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// The split-attention pooling of a radix-major map u [N, R*C, H, W] (channel r*C + c is split r
    /// of channel c): the mean over pixels of the sum over splits, as [N, C, 1, 1].
    /// </summary>
    public static unsafe Tensor RadixGap(Tensor u, int radix)
    {
        CheckRadixMap(u, radix, "radix_gap");
        int n = u.Shape[0], c = u.Shape[1] / radix;
        using var src = Materialize(u, RadixLayout(u));
        var y = Tensor.Empty([n, c, 1, 1]);
        RadixKernels.Gap(src, radix, y.Data);
        if (!Tape.ShouldRecord(u)) return y;
        return Tape.Record(y, "radix_gap", [u], gy =>
        {
            using var g = Materialize(gy, MemoryFormat.Contiguous);
            var gu = Tensor.Empty(u.Shape, RadixLayout(u));
            RadixKernels.GapBackward(g.Data, radix, gu);
            return [gu];
        });
    }

    /// <summary>
    /// The split-attention output: y[n, c] = sum over r of gate[n, r, c] * u[n, r*C + c] at every pixel,
    /// for u [N, R*C, H, W] and gate [N, R, C]; y is [N, C, H, W] in the activation layout.
    /// </summary>
    public static unsafe Tensor RadixCombine(Tensor u, Tensor gate)
    {
        if (gate.Rank != 3) throw new ArgumentException($"radix_combine: the gate must be [N, R, C], got {gate.Shape} (map {u.Shape}).");
        int radix = gate.Shape[1];
        CheckRadixMap(u, radix, "radix_combine");
        int n = u.Shape[0], c = u.Shape[1] / radix;
        if (gate.Shape[0] != n || gate.Shape[2] != c)
            throw new ArgumentException($"radix_combine: the gate {gate.Shape} must be [{n}, {radix}, {c}] for the map {u.Shape}.");
        var layout = RadixLayout(u);
        var y = Tensor.Empty([n, c, u.Shape[2], u.Shape[3]], layout);
        using (var src = Materialize(u, layout))
        using (var a = Materialize(gate, MemoryFormat.Contiguous))
            RadixKernels.Combine(src, a.Data, radix, y);
        if (!y.IsIn(Engine.ActivationFormat))
        {
            var moved = Materialize(y, Engine.ActivationFormat);
            y.Dispose();
            y = moved;
        }
        if (!Tape.ShouldRecord(u, gate)) return y;
        return Tape.Record(y, "radix_combine", [u, gate], gy =>
        {
            using var src = Materialize(u, layout);
            using var a = Materialize(gate, MemoryFormat.Contiguous);
            using var g = Materialize(gy, layout);
            var gu = Tensor.Empty(u.Shape, layout);
            var ga = Tensor.Empty(gate.Shape);
            RadixKernels.CombineBackward(src, a.Data, radix, g, gu, ga.Data);
            Tensor?[] grads = [u.RequiresGrad ? gu : null, gate.RequiresGrad ? ga : null];
            if (!u.RequiresGrad) gu.Dispose();
            if (!gate.RequiresGrad) ga.Dispose();
            return grads;
        });
    }

    private static void CheckRadixMap(Tensor u, int radix, string op)
    {
        if (radix < 1) throw new ArgumentException($"{op}: radix must be at least 1, got {radix} (map {u.Shape}).");
        if (u.Rank != 4) throw new ArgumentException($"{op}: the map must be [N, R*C, H, W], got {u.Shape}.");
        if (u.Shape[1] % radix != 0) throw new ArgumentException($"{op}: the {u.Shape[1]} channels of {u.Shape} do not split into radix {radix}.");
    }

    /// <summary>The layout the radix kernels read u in: its own when channels-last, else row-major.</summary>
    private static MemoryFormat RadixLayout(Tensor u) => u.IsIn(MemoryFormat.ChannelsLast) ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous;
}
