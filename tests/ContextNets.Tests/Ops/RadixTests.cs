using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>The split-attention reductions over a radix-major map: pooled sum of the splits, and their gated sum.</summary>
public class RadixTests
{
    // n, radix, c, h, w: N = 1 makes the channels-last kernels cut the pixels of one sample between threads.
    public static TheoryData<int, int, int, int, int> Cases => new()
    {
        { 2, 2, 4, 3, 5 },
        { 1, 3, 5, 4, 4 },
        { 3, 1, 6, 2, 3 },
        { 2, 4, 3, 1, 1 },
        { 1, 2, 40, 16, 16 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientsMatchFiniteDifferences(int n, int radix, int c, int h, int w)
    {
        var u = RefTensor.Random([n, radix * c, h, w], 1);
        var a = RefTensor.Random([n, radix, c], 2);
        var gGap = RefTensor.Random([n, c, 1, 1], 3);
        GradCheck.Verify(v => RefRadix.Gap(v[0], radix), [u], gGap, [RefRadix.GapBackward(gGap, u.Shape, radix)], "radix gap");
        var gy = RefTensor.Random([n, c, h, w], 4);
        var (gu, ga) = RefRadix.CombineBackward(u, a, gy);
        GradCheck.Verify(v => RefRadix.Combine(v[0], v[1]), [u, a], gy, [gu, ga], "radix combine");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int n, int radix, int c, int h, int w)
    {
        var u = RefTensor.Random([n, radix * c, h, w], 1);
        var a = RefTensor.Random([n, radix, c], 2);
        var gGap = RefTensor.Random([n, c, 1, 1], 3);
        var gy = RefTensor.Random([n, c, h, w], 4);
        var (gu, ga) = RefRadix.CombineBackward(u, a, gy);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (gap, gapGrads) = Fast.ForwardBackward(t => F.RadixGap(t[0], radix), [u], gGap, format);
            Check.Close(RefRadix.Gap(u, radix), gap, what: $"radix gap {format}");
            Check.Close(RefRadix.GapBackward(gGap, u.Shape, radix), gapGrads[0]!, what: $"radix gap grad {format}");

            var (y, grads) = Fast.ForwardBackward(t => F.RadixCombine(t[0], t[1]), [u, a], gy, format);
            Check.Close(RefRadix.Combine(u, a), y, what: $"radix combine {format}");
            Check.Close(gu, grads[0]!, what: $"radix combine grad u {format}");
            Check.Close(ga, grads[1]!, what: $"radix combine grad gate {format}");
        }
    }

    /// <summary>The kernels against the same math from general engine ops: channel slices, sums, a broadcast product.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesComposedEngineOps(int n, int radix, int c, int h, int w)
    {
        var u = RefTensor.Random([n, radix * c, h, w], 5);
        var a = RefTensor.Random([n, radix, c], 6);
        var gy = RefTensor.Random([n, c, h, w], 7);
        var gGap = RefTensor.Random([n, c, 1, 1], 8);
        var splits = Enumerable.Repeat(c, radix).ToArray();

        Tensor ComposedGap(Tensor x) => F.Mean(SumOf(F.Split(x, splits, 1)), [2, 3], keepDim: true);
        Tensor ComposedCombine(Tensor x, Tensor gate)
        {
            var parts = F.Split(x, splits, 1);
            var gates = F.Split(F.Reshape(gate, n, radix * c, 1, 1), splits, 1);
            return SumOf(parts.Select((p, r) => F.Mul(p, gates[r])).ToArray());
        }

        var (gapC, gapGradsC) = Fast.ForwardBackward(t => ComposedGap(t[0]), [u], gGap, MemoryFormat.ChannelsLast);
        var (gapF, gapGradsF) = Fast.ForwardBackward(t => F.RadixGap(t[0], radix), [u], gGap, MemoryFormat.ChannelsLast);
        Check.Close(gapC, gapF, what: "gap");
        Check.Close(gapGradsC[0]!, gapGradsF[0]!, what: "gap grad");

        var (yC, gradsC) = Fast.ForwardBackward(t => ComposedCombine(t[0], t[1]), [u, a], gy, MemoryFormat.ChannelsLast);
        var (yF, gradsF) = Fast.ForwardBackward(t => F.RadixCombine(t[0], t[1]), [u, a], gy, MemoryFormat.ChannelsLast);
        Check.Close(yC, yF, what: "combine");
        Check.Close(gradsC[0]!, gradsF[0]!, what: "combine grad u");
        Check.Close(gradsC[1]!, gradsF[1]!, what: "combine grad gate");
    }

    [Fact]
    public void CombinedOutputIsInTheActivationLayout()
    {
        using var scope = Tensor.Scope();
        var y = F.RadixCombine(Tensor.Randn([2, 6, 4, 4], 1), Tensor.Randn([2, 2, 3], 2));
        Assert.Equal(Engine.ActivationFormat, y.Format);
    }

    [Fact]
    public void BadInputIsRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var u = Tensor.Zeros([2, 6, 4, 4]);
        var ex = Assert.Throws<ArgumentException>(() => F.RadixGap(u, 4));
        Assert.Contains("[2, 6, 4, 4]", ex.Message);
        Assert.Contains("radix 4", ex.Message);
        Assert.Contains("radix must be at least 1", Assert.Throws<ArgumentException>(() => F.RadixGap(u, 0)).Message);
        Assert.Contains("[2, 6, 16]", Assert.Throws<ArgumentException>(() => F.RadixGap(Tensor.Zeros([2, 6, 16]), 2)).Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixCombine(u, Tensor.Zeros([2, 2, 4])));
        Assert.Contains("[2, 2, 4]", ex.Message);
        Assert.Contains("[2, 2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixCombine(u, Tensor.Zeros([3, 2, 3])));
        Assert.Contains("[3, 2, 3]", ex.Message);
        Assert.Contains("[2, 6]", Assert.Throws<ArgumentException>(() => F.RadixCombine(u, Tensor.Zeros([2, 6]))).Message);
        Assert.Contains("do not split", Assert.Throws<ArgumentException>(() => F.RadixCombine(u, Tensor.Zeros([2, 4, 1]))).Message);
    }

    private static Tensor SumOf(Tensor[] parts) => parts.Skip(1).Aggregate(parts[0], F.Add);
}
