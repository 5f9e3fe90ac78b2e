using ContextNets.Attention;
using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// The split-attention pooling of a radix-major map u [N, R*C, H, W] (channel r*C + c is split r
    /// of channel c): the mean over pixels of the sum over splits, as [N, C, 1, 1].
    /// </summary>
    public static Tensor RadixGap(Tensor u, int radix)
    {
        CheckRadixMap(u, radix, "radix_gap");
        return new RadixGapOp(u, radix).Apply(u);
    }

    /// <summary>
    /// The split-attention output: y[n, c] = sum over r of gate[n, r, c] * u[n, r*C + c] at every pixel,
    /// for u [N, R*C, H, W] and gate [N, R, C]; y is [N, C, H, W] in the activation layout.
    /// </summary>
    public static Tensor RadixCombine(Tensor u, Tensor gate)
    {
        int radix = CheckRadixGate(u, gate, "radix_combine");
        return new RadixCombineOp(u, gate, radix).Apply(u, gate);
    }

    private static void CheckRadixMap(Tensor u, int radix, string op)
    {
        if (radix < 1) throw new ArgumentException($"{op}: radix must be at least 1, got {radix} (map {u.Shape}).");
        if (u.Rank != 4) throw new ArgumentException($"{op}: the map must be [N, R*C, H, W], got {u.Shape}.");
        if (u.Shape[1] % radix != 0) throw new ArgumentException($"{op}: the {u.Shape[1]} channels of {u.Shape} do not split into radix {radix}.");
    }

    /// <summary>Checks a gate [N, R, C] against its map [N, R*C, H, W]; returns R.</summary>
    private static int CheckRadixGate(Tensor u, Tensor gate, string op)
    {
        if (gate.Rank != 3) throw new ArgumentException($"{op}: the gate must be [N, R, C], got {gate.Shape} (map {u.Shape}).");
        int radix = gate.Shape[1];
        CheckRadixMap(u, radix, op);
        if (gate.Shape[0] != u.Shape[0] || gate.Shape[2] != u.Shape[1] / radix)
            throw new ArgumentException($"{op}: the gate {gate.Shape} must be [{u.Shape[0]}, {radix}, {u.Shape[1] / radix}] for the map {u.Shape}.");
        return radix;
    }

    /// <summary>The layout the radix kernels read u in: its own when channels-last, else row-major.</summary>
    internal static MemoryFormat RadixLayout(Tensor u) => u.IsIn(MemoryFormat.ChannelsLast) ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous;

    /// <summary>y itself when it is in the activation layout, else a copy that is (and y is freed).</summary>
    internal static Tensor InActivationLayout(Tensor y)
    {
        if (y.IsIn(Engine.ActivationFormat)) return y;
        var moved = Materialize(y, Engine.ActivationFormat);
        y.Dispose();
        return moved;
    }
}

/// <summary>The pooling of <see cref="F.RadixGap"/>, one application.</summary>
internal sealed unsafe class RadixGapOp(Tensor u, int radix) : FusedOp
{
    private readonly int _hw = u.Shape[2] * u.Shape[3];

    public override string Name => "radix_gap";

    protected override Tensor Forward()
    {
        var y = Tensor.Empty([u.Shape[0], u.Shape[1] / radix, 1, 1]);
        using (var src = F.Materialize(u, F.RadixLayout(u)))
            RadixKernels.Gap(src, radix, relu: false, y.Data);
        return y;
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        var term = gradOutput.ToArray();
        for (int i = 0; i < term.Length; i++) term[i] /= _hw;
        var gu = Tensor.Empty(u.Shape, F.RadixLayout(u));
        fixed (float* t = term) RadixKernels.InputGrad(null, null, null, t, radix, relu: false, gu);
        return [gu];
    }
}

/// <summary>The weighted sum of <see cref="F.RadixCombine"/>, one application.</summary>
internal sealed unsafe class RadixCombineOp(Tensor u, Tensor gate, int radix) : FusedOp
{
    private readonly MemoryFormat _layout = F.RadixLayout(u);

    public override string Name => "radix_combine";

    protected override Tensor Forward()
    {
        var y = Tensor.Empty([u.Shape[0], u.Shape[1] / radix, u.Shape[2], u.Shape[3]], _layout);
        using (var src = F.Materialize(u, _layout))
        using (var a = F.Materialize(gate, MemoryFormat.Contiguous))
            RadixKernels.Combine(src, a.Data, radix, relu: false, y);
        return F.InActivationLayout(y);
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        using var g = F.Materialize(gradOutput, _layout);
        Tensor? gu = null, ga = null;
        if (gate.RequiresGrad)
        {
            using var src = F.Materialize(u, _layout);
            ga = Tensor.Empty(gate.Shape);
            RadixKernels.GateGrad(src, g, radix, relu: false, ga.Data);
        }
        if (u.RequiresGrad)
        {
            using var a = F.Materialize(gate, MemoryFormat.Contiguous);
            gu = Tensor.Empty(u.Shape, _layout);
            RadixKernels.InputGrad(null, g, a.Data, null, radix, relu: false, gu);
        }
        return [gu, ga];
    }
}
