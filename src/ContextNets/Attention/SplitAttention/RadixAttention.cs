using ContextNets.Autograd;
using ContextNets.Attention;

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
    public static unsafe Tensor RadixAttention(Tensor v, RadixGateParameters p, int radix, int groups, bool training, out Tensor gate,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        CheckRadixMap(v, radix, "radix_attention");
        int n = v.Shape[0], c = v.Shape[1] / radix, hw = v.Shape[2] * v.Shape[3];
        var layout = RadixLayout(v);
        var pooled = new float[n * c];
        var mlp = new GateMlp(new Shape(n, c, 1, 1), p, radix, groups, training, momentum, eps);
        var y = Tensor.Empty([n, c, v.Shape[2], v.Shape[3]], layout);
        using (var src = Materialize(v, layout))
        {
            fixed (float* pp = pooled) RadixKernels.Gap(src, radix, relu: true, pp);
            mlp.Forward(Array.ConvertAll(pooled, x => (double)x));
            fixed (float* a = mlp.Gate) RadixKernels.Combine(src, a, radix, relu: true, y);
        }
        gate = Tensor.FromArray(mlp.Gate, [n, radix, c]);
        y = InActivationLayout(y);
        Tensor[] inputs = [v, .. p.Trainable.OfType<Tensor>()];
        if (!Tape.ShouldRecord(inputs)) return y;
        return Tape.Record(y, "radix_attention", inputs, gy =>
        {
            using var src = Materialize(v, layout);
            using var g = Materialize(gy, layout);
            var gateGrad = new float[n * radix * c];
            fixed (float* ga = gateGrad) RadixKernels.GateGrad(src, g, radix, relu: true, ga);
            var d = mlp.Backward(Array.ConvertAll(gateGrad, x => (double)x));
            Tensor? gv = null;
            if (v.RequiresGrad)
            {
                var term = Array.ConvertAll(d.Gap, x => (float)(x / hw));
                gv = Tensor.Empty(v.Shape, layout);
                fixed (float* a = mlp.Gate, t = term) RadixKernels.InputGrad(src, g, a, t, radix, relu: true, gv);
            }
            return [gv, .. mlp.ParameterGrads(d)];
        });
    }
}
