using ContextNets.Attention;
using ContextNets.Autograd;

namespace ContextNets;

/// <summary>
/// The attention MLP of split attention and selective kernels: fc1 (1x1 conv, groups K, optional bias),
/// batch norm with its running statistics, ReLU, fc2 (1x1 conv, groups K, R*C outputs, optional bias).
/// </summary>
public sealed record RadixGateParameters(Tensor Fc1Weight, Tensor? Fc1Bias, Tensor NormWeight, Tensor NormBias,
    Tensor RunningMean, Tensor RunningVar, Tensor Fc2Weight, Tensor? Fc2Bias)
{
    internal Tensor?[] Trainable => [Fc1Weight, Fc1Bias, NormWeight, NormBias, Fc2Weight, Fc2Bias];
}

public static partial class F
{
    /// <summary>
    /// The split-attention gate [N, R, C] from the pooled map gap [N, C, 1, 1]:
    /// rSoftMax(fc2(ReLU(BN(fc1(gap))))), the softmax over the R splits of each channel
    /// (fc2's outputs taken cardinality-major, as timm's RadixSoftmax), a sigmoid when R = 1.
    /// Training normalizes with the batch's statistics and moves the running ones in place,
    /// as <see cref="BatchNorm2d"/> does. Computed in float64 (see RadixGateKernels).
    /// </summary>
    public static Tensor RadixGate(Tensor gap, RadixGateParameters p, int radix, int groups, bool training, float momentum = 0.1f, float eps = 1e-5f) =>
        new RadixGateOp(gap, new GateMlp(gap.Shape, p, radix, groups, training, momentum, eps), radix).Apply([gap, .. p.Trainable.OfType<Tensor>()]);

    /// <summary>The gate MLP of one forward: its checked sizes, float64 weights, saved state and float32 gate.</summary>
    internal sealed class GateMlp
    {
        private readonly RadixGateParameters _p;
        private readonly bool _training;
        private readonly float _momentum, _eps;
        private readonly RadixGateKernels.Weights _weights;
        private RadixGateKernels.Saved? _saved;

        public GateMlp(Shape gap, RadixGateParameters p, int radix, int groups, bool training, float momentum, float eps)
        {
            Geometry = RadixGateGeometry(gap, p, radix, groups, training, eps);
            _p = p;
            _training = training;
            _momentum = momentum;
            _eps = eps;
            _weights = new RadixGateKernels.Weights(GateDoubles(p.Fc1Weight), GateDoublesOrNull(p.Fc1Bias), GateDoubles(p.NormWeight),
                GateDoubles(p.NormBias), GateDoubles(p.Fc2Weight), GateDoublesOrNull(p.Fc2Bias));
        }

        public RadixGateKernels.Geometry Geometry { get; }

        /// <summary>The gate [N, R, C] row-major, once <see cref="Forward"/> ran.</summary>
        public float[] Gate { get; private set; } = [];

        /// <summary>Computes the gate and, in training, moves the running statistics.</summary>
        public void Forward(double[] gap)
        {
            var gate = RadixGateKernels.Forward(Geometry, gap, _weights, _training, GateDoubles(_p.RunningMean), GateDoubles(_p.RunningVar), _eps, out var saved);
            _saved = saved;
            Gate = Array.ConvertAll(gate, v => (float)v);
            if (_training) UpdateGateRunningStats(_p.RunningMean, _p.RunningVar, saved.BatchMean, saved.BatchVar, _momentum, Geometry.N);
        }

        public RadixGateKernels.Grads Backward(double[] gateGrad) => RadixGateKernels.Backward(Geometry, _saved!, _weights, _training, gateGrad);

        /// <summary>One gradient per present parameter, in the order of <see cref="RadixGateParameters.Trainable"/>; null where none is wanted.</summary>
        public Tensor?[] ParameterGrads(RadixGateKernels.Grads d)
        {
            var all = new (Tensor? input, double[] grad)[] { (_p.Fc1Weight, d.W1), (_p.Fc1Bias, d.B1), (_p.NormWeight, d.Gamma), (_p.NormBias, d.Beta), (_p.Fc2Weight, d.W2), (_p.Fc2Bias, d.B2) };
            return all.Where(e => e.input is not null).Select(e => e.input!.RequiresGrad ? GateTensor(e.grad, e.input.Shape) : null).ToArray();
        }
    }

    private static RadixGateKernels.Geometry RadixGateGeometry(Shape gap, RadixGateParameters p, int radix, int groups, bool training, float eps)
    {
        if (radix < 1 || groups < 1) throw new ArgumentException($"radix_gate: radix {radix} and groups {groups} must be at least 1 (gap {gap}).");
        if (gap.Rank != 4 || gap[2] != 1 || gap[3] != 1) throw new ArgumentException($"radix_gate: the pooled map must be [N, C, 1, 1], got {gap}.");
        int n = gap[0], c = gap[1], a = p.Fc1Weight.Shape[0];
        if (c % groups != 0 || a % groups != 0)
            throw new ArgumentException($"radix_gate: {c} channels (gap {gap}) and {a} inner channels (fc1 {p.Fc1Weight.Shape}) must divide by groups = {groups}.");
        ExpectGateShape(p.Fc1Weight, [a, c / groups, 1, 1], "fc1 weight", gap);
        ExpectGateShape(p.Fc2Weight, [radix * c, a / groups, 1, 1], "fc2 weight", gap);
        foreach (var (t, name) in new[] { (p.Fc1Bias, "fc1 bias"), (p.NormWeight, "norm weight"), (p.NormBias, "norm bias"), (p.RunningMean, "running mean"), (p.RunningVar, "running var") })
            if (t is not null) ExpectGateShape(t, [a], name, gap);
        if (p.Fc2Bias is not null) ExpectGateShape(p.Fc2Bias, [radix * c], "fc2 bias", gap);
        if (training && n < 2) throw new ArgumentException($"radix_gate: training normalizes over the batch and needs more than one sample, gap {gap} has {n}.");
        if (!(eps > 0)) throw new ArgumentException($"radix_gate: eps must be positive, got {eps}.");
        return new RadixGateKernels.Geometry(n, c, a, radix, groups);
    }

    private static void ExpectGateShape(Tensor t, int[] expected, string name, Shape gap)
    {
        if (!t.Shape.Dims.SequenceEqual(expected))
            throw new ArgumentException($"radix_gate: {name} {t.Shape} must be {Shape.Format(expected)} for gap {gap}.");
    }

    internal static double[] GateDoubles(Tensor t) => Array.ConvertAll(t.ToArray(), v => (double)v);

    private static double[]? GateDoublesOrNull(Tensor? t) => t is null ? null : GateDoubles(t);

    internal static Tensor GateTensor(double[] values, Shape shape) => Tensor.FromArray(Array.ConvertAll(values, v => (float)v), shape);

    private static void UpdateGateRunningStats(Tensor runningMean, Tensor runningVar, double[] mean, double[] variance, float momentum, int count)
    {
        var rm = runningMean.Span;
        var rv = runningVar.Span;
        double unbias = (double)count / (count - 1);
        for (int i = 0; i < mean.Length; i++)
        {
            rm[i] = (float)((1.0 - momentum) * rm[i] + momentum * mean[i]);
            rv[i] = (float)((1.0 - momentum) * rv[i] + momentum * variance[i] * unbias);
        }
        runningMean.Touch();
        runningVar.Touch();
    }
}

/// <summary>The gate of <see cref="F.RadixGate"/>, one application, computed in float64.</summary>
internal sealed class RadixGateOp(Tensor gap, F.GateMlp mlp, int radix) : FusedOp
{
    public override string Name => "radix_gate";

    protected override Tensor Forward()
    {
        mlp.Forward(F.GateDoubles(gap));
        return Tensor.FromArray(mlp.Gate, [mlp.Geometry.N, radix, mlp.Geometry.C]);
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        var d = mlp.Backward(F.GateDoubles(gradOutput));
        return [gap.RequiresGrad ? F.GateTensor(d.Gap, gap.Shape) : null, .. mlp.ParameterGrads(d)];
    }
}
