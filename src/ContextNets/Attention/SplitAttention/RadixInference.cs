namespace ContextNets.Attention;

/// <summary>
/// The radix attention of a prepared model (split attention's and selective kernel's): the passes of
/// <see cref="F.RadixAttention"/> in eval mode, pooling, the float64 gate MLP and the gated sum, with the same
/// kernels and so the same values. Only the gate's weights and running statistics are converted to float64 when
/// they change, not on every call: the autograd op converts them each time, which at batch 1 cost more than the
/// whole gate (about 8 ms per block in resnest50d's last stage, whose fc1 and fc2 hold 390,000 weights). They are
/// the prepared model's private snapshot, which changes only when int8 attention swaps the gate's weights
/// (<c>AttentionInt8Step.Use</c>); the tensors' versions tell.
/// </summary>
internal sealed unsafe class RadixInference
{
    private readonly RadixGateParameters _p;
    private readonly int _radix, _groups, _channels, _inner;
    private readonly float _eps;
    // Replaced whole, so that concurrent Predict calls read one consistent conversion without a lock.
    private Converted? _converted;

    private sealed record Converted(long Version, RadixGateKernels.Weights Weights, double[] Mean, double[] Var);

    public RadixInference(RadixGateParameters p, int radix, int groups, float eps)
    {
        (_p, _radix, _groups, _eps) = (p, radix, groups, eps);
        _inner = p.Fc1Weight.Shape[0];
        _channels = p.Fc1Weight.Shape[1] * groups;
    }

    private Converted Current()
    {
        var p = _p;
        // Versions only grow, so this combination of them with positive weights never comes back to an old value.
        static long Mix(long acc, Tensor? t) => acc * 31 + (t?.Version ?? 0);
        long version = Mix(Mix(Mix(Mix(Mix(Mix(Mix(Mix(0, p.Fc1Weight), p.Fc1Bias), p.NormWeight), p.NormBias), p.RunningMean), p.RunningVar), p.Fc2Weight), p.Fc2Bias);
        if (_converted is { } c && c.Version == version) return c;
        var weights = new RadixGateKernels.Weights(F.GateDoubles(p.Fc1Weight), p.Fc1Bias is null ? null : F.GateDoubles(p.Fc1Bias),
            F.GateDoubles(p.NormWeight), F.GateDoubles(p.NormBias), F.GateDoubles(p.Fc2Weight), p.Fc2Bias is null ? null : F.GateDoubles(p.Fc2Bias));
        return _converted = new Converted(version, weights, F.GateDoubles(p.RunningMean), F.GateDoubles(p.RunningVar));
    }

    /// <summary>y [N, C, H, W] (activation layout) of the radix-major pre-activations v [N, R*C, H, W].</summary>
    public Tensor Run(Tensor v)
    {
        if (v.Rank != 4 || v.Shape[1] != _radix * _channels)
            throw new ArgumentException($"radix_attention: the map must be [N, {_radix * _channels}, H, W] for radix {_radix} and {_channels} channels, got {v.Shape}.");
        int n = v.Shape[0];
        var layout = F.RadixLayout(v);
        var geometry = new RadixGateKernels.Geometry(n, _channels, _inner, _radix, _groups);
        var pooled = new float[n * _channels];
        var y = Tensor.Empty([n, _channels, v.Shape[2], v.Shape[3]], layout);
        using (var src = F.Materialize(v, layout))
        {
            fixed (float* pp = pooled) RadixKernels.Gap(src, _radix, relu: true, pp);
            var c = Current();
            var gate = RadixGateKernels.Forward(geometry, Array.ConvertAll(pooled, x => (double)x), c.Weights, training: false, c.Mean, c.Var, _eps, out _);
            fixed (float* a = Array.ConvertAll(gate, x => (float)x)) RadixKernels.Combine(src, a, _radix, relu: true, y);
        }
        return F.InActivationLayout(y);
    }
}
