using ContextNets.Attention;
using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// The whole attention of split attention and selective kernels over a radix-major map v [N, R*C, H, W]
    /// of pre-activations: with u = ReLU(v), y = <see cref="RadixCombine"/>(u, <see cref="RadixGate"/>(<see cref="RadixGap"/>(u, R), ...)),
    /// [N, C, H, W] in the activation layout. <paramref name="gate"/> is the gate [N, R, C] it used, without a graph.
    /// It is those ops fused: u is never stored, the forward reads v twice (pooling, then the weighted sum)
    /// and the backward reads it twice (the gate's gradient, then v's, in which the pooling's share,
    /// the gated share and the ReLU mask are written at once).
    /// </summary>
    public static Tensor RadixAttention(Tensor v, RadixGateParameters p, int radix, int groups, bool training, out Tensor gate,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        CheckRadixMap(v, radix, "radix_attention");
        var op = new RadixAttentionOp(v, p, radix, groups, training, momentum, eps);
        var y = op.Apply([v, .. p.Trainable.OfType<Tensor>()]);
        gate = op.Gate!;
        return y;
    }
}

/// <summary>The fused radix attention of <see cref="F.RadixAttention"/>, one application, with its gate as a side output.</summary>
internal sealed unsafe class RadixAttentionOp(Tensor v, RadixGateParameters p, int radix, int groups, bool training, float momentum, float eps) : FusedOp
{
    private readonly int _n = v.Shape[0], _c = v.Shape[1] / radix, _hw = v.Shape[2] * v.Shape[3];
    private readonly MemoryFormat _layout = F.RadixLayout(v);
    private readonly F.GateMlp _mlp = new(new Shape(v.Shape[0], v.Shape[1] / radix, 1, 1), p, radix, groups, training, momentum, eps);

    public override string Name => "radix_attention";

    /// <summary>The gate [N, R, C] the forward used, without a graph; the caller owns it.</summary>
    public Tensor? Gate { get; private set; }

    protected override Tensor Forward()
    {
        var pooled = new float[_n * _c];
        var y = Tensor.Empty([_n, _c, v.Shape[2], v.Shape[3]], _layout);
        using (var src = F.Materialize(v, _layout))
        {
            fixed (float* pp = pooled) RadixKernels.Gap(src, radix, relu: true, pp);
            _mlp.Forward(Array.ConvertAll(pooled, x => (double)x));
            fixed (float* a = _mlp.Gate) RadixKernels.Combine(src, a, radix, relu: true, y);
        }
        Gate = Tensor.FromArray(_mlp.Gate, [_n, radix, _c]);
        return F.InActivationLayout(y);
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        using var src = F.Materialize(v, _layout);
        using var g = F.Materialize(gradOutput, _layout);
        var gateGrad = new float[_n * radix * _c];
        fixed (float* ga = gateGrad) RadixKernels.GateGrad(src, g, radix, relu: true, ga);
        var d = _mlp.Backward(Array.ConvertAll(gateGrad, x => (double)x));
        Tensor? gv = null;
        if (v.RequiresGrad)
        {
            var term = Array.ConvertAll(d.Gap, x => (float)(x / _hw));
            gv = Tensor.Empty(v.Shape, _layout);
            fixed (float* a = _mlp.Gate, t = term) RadixKernels.InputGrad(src, g, a, t, radix, relu: true, gv);
        }
        return [gv, .. _mlp.ParameterGrads(d)];
    }
}
