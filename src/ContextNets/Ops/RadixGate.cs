using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

/// <summary>
/// The attention MLP of split attention and selective kernels: fc1 (1x1 conv, groups K, optional bias),
/// batch norm with its running statistics, ReLU, fc2 (1x1 conv, groups K, R*C outputs, optional bias).
/// </summary>
public sealed record RadixGateParameters(Tensor Fc1Weight, Tensor? Fc1Bias, Tensor NormWeight, Tensor NormBias,
    Tensor RunningMean, Tensor RunningVar, Tensor Fc2Weight, Tensor? Fc2Bias);

public static partial class F
{
    /// <summary>
    /// The split-attention gate [N, R, C] from the pooled map gap [N, C, 1, 1]:
    /// rSoftMax(fc2(ReLU(BN(fc1(gap))))), the softmax over the R splits of each channel
    /// (fc2's outputs taken cardinality-major, as timm's RadixSoftmax), a sigmoid when R = 1.
    /// Training normalizes with the batch's statistics and moves the running ones in place,
    /// as <see cref="BatchNorm2d"/> does. Computed in float64 (see RadixGateKernels).
    /// </summary>
    public static Tensor RadixGate(Tensor gap, RadixGateParameters p, int radix, int groups, bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        var g = RadixGateGeometry(gap, p, radix, groups, training, eps);
        var weights = new RadixGateKernels.Weights(GateDoubles(p.Fc1Weight), GateDoublesOrNull(p.Fc1Bias), GateDoubles(p.NormWeight), GateDoubles(p.NormBias),
            GateDoubles(p.Fc2Weight), GateDoublesOrNull(p.Fc2Bias));
        var gate = RadixGateKernels.Forward(g, GateDoubles(gap), weights, training, GateDoubles(p.RunningMean), GateDoubles(p.RunningVar), eps, out var saved);
        if (training) UpdateGateRunningStats(p.RunningMean, p.RunningVar, saved.BatchMean, saved.BatchVar, momentum, g.N);
        var y = GateFromDoubles(gate, [g.N, radix, g.C]);
        Tensor?[] inputs = [gap, p.Fc1Weight, p.Fc1Bias, p.NormWeight, p.NormBias, p.Fc2Weight, p.Fc2Bias];
        var present = inputs.OfType<Tensor>().ToArray();
        if (!Tape.ShouldRecord(present)) return y;
        return Tape.Record(y, "radix_gate", present, gy =>
        {
            var d = RadixGateKernels.Backward(g, saved, weights, training, GateDoubles(gy));
            var all = new (Tensor? input, double[] grad)[]
            {
                (gap, d.Gap), (p.Fc1Weight, d.W1), (p.Fc1Bias, d.B1), (p.NormWeight, d.Gamma), (p.NormBias, d.Beta), (p.Fc2Weight, d.W2), (p.Fc2Bias, d.B2),
            };
            return all.Where(e => e.input is not null)
                .Select(e => e.input!.RequiresGrad ? GateFromDoubles(e.grad, e.input.Shape) : null)
                .ToArray();
        });
    }

    private static RadixGateKernels.Geometry RadixGateGeometry(Tensor gap, RadixGateParameters p, int radix, int groups, bool training, float eps)
    {
        if (radix < 1 || groups < 1) throw new ArgumentException($"radix_gate: radix {radix} and groups {groups} must be at least 1 (gap {gap.Shape}).");
        if (gap.Rank != 4 || gap.Shape[2] != 1 || gap.Shape[3] != 1) throw new ArgumentException($"radix_gate: the pooled map must be [N, C, 1, 1], got {gap.Shape}.");
        int n = gap.Shape[0], c = gap.Shape[1], a = p.Fc1Weight.Shape[0];
        if (c % groups != 0 || a % groups != 0)
            throw new ArgumentException($"radix_gate: {c} channels (gap {gap.Shape}) and {a} inner channels (fc1 {p.Fc1Weight.Shape}) must divide by groups = {groups}.");
        ExpectGateShape(p.Fc1Weight, [a, c / groups, 1, 1], "fc1 weight", gap);
        ExpectGateShape(p.Fc2Weight, [radix * c, a / groups, 1, 1], "fc2 weight", gap);
        foreach (var (t, name) in new[] { (p.Fc1Bias, "fc1 bias"), (p.NormWeight, "norm weight"), (p.NormBias, "norm bias"), (p.RunningMean, "running mean"), (p.RunningVar, "running var") })
            if (t is not null) ExpectGateShape(t, [a], name, gap);
        if (p.Fc2Bias is not null) ExpectGateShape(p.Fc2Bias, [radix * c], "fc2 bias", gap);
        if (training && n < 2) throw new ArgumentException($"radix_gate: training normalizes over the batch and needs more than one sample, gap {gap.Shape} has {n}.");
        if (!(eps > 0)) throw new ArgumentException($"radix_gate: eps must be positive, got {eps}.");
        return new RadixGateKernels.Geometry(n, c, a, radix, groups);
    }

    private static void ExpectGateShape(Tensor t, int[] expected, string name, Tensor gap)
    {
        if (!t.Shape.Dims.SequenceEqual(expected))
            throw new ArgumentException($"radix_gate: {name} {t.Shape} must be {Shape.Format(expected)} for gap {gap.Shape}.");
    }

    private static double[] GateDoubles(Tensor t) => Array.ConvertAll(t.ToArray(), v => (double)v);

    private static double[]? GateDoublesOrNull(Tensor? t) => t is null ? null : GateDoubles(t);

    private static Tensor GateFromDoubles(double[] values, Shape shape) => Tensor.FromArray(Array.ConvertAll(values, v => (float)v), shape);

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
