using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>
/// The fused split attention (ReLU, pooling, gate MLP, weighted sum) against the same math composed:
/// from the reference ops in float64 (whose gradient is checked by finite differences), and from the
/// unfused engine ops in float32.
/// </summary>
public class RadixAttentionTests
{
    // n, radix, c, inner a, groups, h, w, training
    public static TheoryData<int, int, int, int, int, int, int, bool> Cases => new()
    {
        { 2, 2, 4, 4, 1, 3, 3, true },
        { 3, 3, 6, 6, 2, 2, 4, true },
        { 2, 1, 8, 4, 2, 3, 2, false },
        { 1, 2, 20, 8, 1, 5, 5, false },
        { 2, 2, 40, 16, 2, 4, 4, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int n, int radix, int c, int a, int groups, int h, int w, bool training)
    {
        var (inputs, rm, rv) = Inputs(n, radix, c, a, groups, h, w);
        var gy = RefTensor.Random([n, c, h, w], 21);
        var (_, grads) = Reference(inputs, rm, rv, radix, groups, training, gy);
        GradCheck.Verify(v => Reference(v, rm, rv, radix, groups, training, null).y, inputs, gy, grads, $"radix attention r{radix} g{groups}", maxSamples: 30);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedOpMatchesReference(int n, int radix, int c, int a, int groups, int h, int w, bool training)
    {
        var (inputs, rm, rv) = Inputs(n, radix, c, a, groups, h, w);
        var gy = RefTensor.Random([n, c, h, w], 21);
        var (y, grads) = Reference(inputs, rm, rv, radix, groups, training, gy);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (fy, fgrads) = Fast.ForwardBackward(t => Fused(t, rm, rv, radix, groups, training, out _), inputs, gy, format);
            Check.Close(y, fy, what: $"radix attention {format} y");
            for (int i = 0; i < grads.Length; i++) Check.Close(grads[i]!, fgrads[i]!, what: $"radix attention {format} grad {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedOpMatchesTheUnfusedEngineOps(int n, int radix, int c, int a, int groups, int h, int w, bool training)
    {
        var (inputs, rm, rv) = Inputs(n, radix, c, a, groups, h, w);
        var gy = RefTensor.Random([n, c, h, w], 21);
        RefTensor? fusedGate = null, composedGate = null;
        var (fy, fgrads) = Fast.ForwardBackward(t =>
        {
            var y = Fused(t, rm, rv, radix, groups, training, out var gate);
            fusedGate = RefTensor.From(gate);
            return y;
        }, inputs, gy, MemoryFormat.ChannelsLast);
        var (cy, cgrads) = Fast.ForwardBackward(t =>
        {
            var u = F.Relu(t[0]);
            var gate = F.RadixGate(F.RadixGap(u, radix), Parameters(t, rm, rv), radix, groups, training);
            composedGate = RefTensor.From(gate);
            return F.RadixCombine(u, gate);
        }, inputs, gy, MemoryFormat.ChannelsLast);
        Check.Close(composedGate!, fusedGate!, what: "gate");
        Check.Close(cy, fy, what: "y");
        for (int i = 0; i < cgrads.Length; i++) Check.Close(cgrads[i]!, fgrads[i]!, what: $"grad {i}");
    }

    [Fact]
    public void TrainingMovesTheRunningStatisticsAsTheReferenceDoes()
    {
        var (inputs, rm, rv) = Inputs(4, 2, 8, 8, 2, 3, 3);
        var (ref0, _) = Reference(inputs, rm, rv, 2, 2, true, null);
        var u = RefActivations.Relu(inputs[0]);
        var gateInputs = new[] { RefRadix.Gap(u, 2), inputs[1], inputs[2], inputs[3], inputs[4], inputs[5], inputs[6] };
        var expected = RefGateChain.Run(gateInputs, rm, rv, 2, 2, training: true, biases: true, gy: null);
        using var scope = Tensor.Scope();
        var t = Array.ConvertAll(inputs, r => r.ToTensor());
        var p = Parameters(t, rm, rv);
        var y = F.RadixAttention(t[0], p, 2, 2, training: true, out _);
        Check.Close(ref0, y, what: "y");
        Check.Close(expected.RunningMean, p.RunningMean, what: "running mean");
        Check.Close(expected.RunningVar, p.RunningVar, what: "running var");
    }

    [Fact]
    public void BadInputIsRejectedWithTheShapesNamed()
    {
        var (inputs, rm, rv) = Inputs(2, 2, 8, 8, 2, 3, 3);
        using var scope = Tensor.Scope();
        var t = Array.ConvertAll(inputs, r => r.ToTensor());
        var p = Parameters(t, rm, rv);
        var ex = Assert.Throws<ArgumentException>(() => F.RadixAttention(Tensor.Zeros([2, 15, 3, 3]), p, 2, 2, training: true, out _));
        Assert.Contains("[2, 15, 3, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixAttention(Tensor.Zeros([2, 12, 3, 3]), p, 2, 2, training: true, out _));
        Assert.Contains("fc1 weight [8, 4, 1, 1]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.RadixAttention(t[0], p, 0, 2, training: true, out _));
    }

    // n, radix, c, inner a, groups, h, w: the shapes of Cases, in eval mode only.
    public static TheoryData<int, int, int, int, int, int, int> EvalCases => new()
    {
        { 2, 2, 4, 4, 1, 3, 3 },
        { 3, 3, 6, 6, 2, 2, 4 },
        { 2, 1, 8, 4, 2, 3, 2 },
        { 1, 2, 20, 8, 1, 5, 5 },
        { 2, 2, 40, 16, 2, 4, 4 },
    };

    [Theory]
    [MemberData(nameof(EvalCases))]
    public void PreparedModelsPathIsTheEvalOpBitForBit(int n, int radix, int c, int a, int groups, int h, int w)
    {
        var (inputs, rm, rv) = Inputs(n, radix, c, a, groups, h, w);
        using var scope = Tensor.Scope();
        var t = inputs.Select(r => r.ToTensor()).ToArray();
        var p = Parameters(t, rm, rv);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var v = F.ToFormat(t[0], format);
            var expected = F.RadixAttention(v, p, radix, groups, training: false, out _).ToArray();
            var inference = new ContextNets.Attention.RadixInference(p, radix, groups, 1e-5f);
            Assert.Equal(expected, inference.Run(v).ToArray());
            var e = Assert.Throws<ArgumentException>(() => inference.Run(F.ToFormat(Tensor.Randn([n, radix * c + radix, h, w], 3), format)));
            Assert.Contains("radix_attention", e.Message);
        }
    }

    private static Tensor Fused(Tensor[] t, RefTensor rm, RefTensor rv, int radix, int groups, bool training, out Tensor gate) =>
        F.RadixAttention(t[0], Parameters(t, rm, rv), radix, groups, training, out gate);

    // Fresh running statistics per call, so that every run starts from the same ones.
    private static RadixGateParameters Parameters(Tensor[] t, RefTensor rm, RefTensor rv) =>
        new(t[1], t[2], t[3], t[4], rm.ToTensor(), rv.ToTensor(), t[5], t[6]);

    /// <summary>v [n, r*c, h, w] (values on both sides of 0, so the ReLU masks about half) and the gate MLP's parameters.</summary>
    private static (RefTensor[] inputs, RefTensor rm, RefTensor rv) Inputs(int n, int radix, int c, int a, int groups, int h, int w)
    {
        var gate = RadixGateTests.Inputs(n, c, a, radix, groups);
        var v = RefTensor.Random([n, radix * c, h, w], 20);
        return ([v, .. gate.Differentiable[1..]], gate.RunningMean, gate.RunningVar);
    }

    /// <summary>relu, gap, gate, combine from the reference ops, with the backward chained by hand.</summary>
    private static (RefTensor y, RefTensor?[] grads) Reference(RefTensor[] v, RefTensor rm, RefTensor rv, int radix, int groups, bool training, RefTensor? gy)
    {
        var u = RefActivations.Relu(v[0]);
        var gap = RefRadix.Gap(u, radix);
        RefTensor[] gateInputs = [gap, .. v[1..]];
        var gate = RefGateChain.Run(gateInputs, rm, rv, radix, groups, training, biases: true, gy: null).Y;
        var y = RefRadix.Combine(u, gate);
        if (gy is null) return (y, []);
        var (gu, ga) = RefRadix.CombineBackward(u, gate, gy);
        var back = RefGateChain.Run(gateInputs, rm, rv, radix, groups, training, biases: true, ga);
        var gPool = RefRadix.GapBackward(back.Grads[0]!, u.Shape, radix);
        for (int i = 0; i < gu.Length; i++) gu.Data[i] += gPool.Data[i];
        return (y, [RefActivations.ReluBackward(v[0], gu), .. back.Grads[1..]]);
    }
}
