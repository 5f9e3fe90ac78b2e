using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.NN;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention.CrissCross;

/// <summary>
/// The fused criss-cross op against its float64 oracle, whose own backward is checked by finite differences.
/// Inputs: x [N, C, H, W], the query, key and value 1x1 convs (C -> Cq, Cq, C) and gamma [1].
/// </summary>
public class CrissCrossOpTests
{
    // n, c, cq, h, w: square, non-square both ways, one row, one column, a single position, and widths that leave
    // vector tails (37, 3) and split rows between threads.
    public static TheoryData<int, int, int, int, int> Cases => new()
    {
        { 2, 4, 2, 3, 3 },
        { 1, 5, 1, 2, 4 },
        { 2, 3, 2, 4, 2 },
        { 1, 4, 2, 1, 5 },
        { 2, 4, 1, 5, 1 },
        { 1, 3, 2, 1, 1 },
    };

    public static TheoryData<int, int, int, int, int> WideCases => new()
    {
        { 2, 37, 3, 6, 7 },
        { 1, 64, 8, 9, 5 },
        { 3, 48, 6, 4, 4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int n, int c, int cq, int h, int w)
    {
        var inputs = Inputs(n, c, cq, h, w);
        var gy = RefTensor.Random(inputs[0].Shape, 9);
        GradCheck.Verify(RefCrissCross.Forward, inputs, gy, RefCrissCross.Backward(inputs, gy), "criss_cross");
    }

    [Fact]
    public void ReferenceCountsTheCrossingOnceAndNormalizesOverTheUnion()
    {
        var inputs = Inputs(1, 8, 1, 3, 4);
        var a = RefCrissCross.Attention(inputs);
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(0.0, a[0, i, j, i]);
            double total = 0;
            for (int s = 0; s < 7; s++) total += a[0, i, j, s];
            Assert.Equal(1.0, total, 12);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [MemberData(nameof(WideCases))]
    public void FastPathMatchesReference(int n, int c, int cq, int h, int w)
    {
        var inputs = Inputs(n, c, cq, h, w);
        var gy = RefTensor.Random(inputs[0].Shape, 9);
        var expected = RefCrissCross.Backward(inputs, gy);
        string[] names = ["x", "query weight", "query bias", "key weight", "key bias", "value weight", "value bias", "gamma"];
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            using var scope = Tensor.Scope();
            using var convs = new Convs(inputs);
            var x = In(inputs[0], format);
            var op = new CrissCrossOp(x, convs.Query, convs.Key, convs.Value, convs.Gamma, keep: true);
            var y = op.Run();
            Check.Close(RefCrissCross.Forward(inputs), y, what: $"{format} y");
            Check.Close(RefCrissCross.Attention(inputs), op.Attention!, what: $"{format} attention");
            y.Backward(In(gy, format, requiresGrad: false));
            Tensor[] grads = [x.Grad!, .. convs.Parameters.Select(p => p.Grad!)];
            for (int k = 0; k < grads.Length; k++) Check.Close(expected[k], grads[k], what: $"{format} grad {names[k]}");
        }
    }

    /// <summary>The three convs and gamma loaded from the reference inputs 1..7.</summary>
    private sealed class Convs : IDisposable
    {
        public Convs(RefTensor[] inputs)
        {
            int c = inputs[0].Shape[1], cq = inputs[1].Shape[0];
            Query = Load(new Conv2d(c, cq, 1), inputs[1], inputs[2]);
            Key = Load(new Conv2d(c, cq, 1), inputs[3], inputs[4]);
            Value = Load(new Conv2d(c, c, 1), inputs[5], inputs[6]);
            Gamma = Tensor.FromArray([(float)inputs[7].Data[0]], 1);
            Gamma.RequiresGrad = true;
        }

        public Conv2d Query { get; }
        public Conv2d Key { get; }
        public Conv2d Value { get; }
        public Tensor Gamma { get; }
        public Tensor[] Parameters => [Query.Weight, Query.Bias!, Key.Weight, Key.Bias!, Value.Weight, Value.Bias!, Gamma];

        private static Conv2d Load(Conv2d conv, RefTensor weight, RefTensor bias)
        {
            conv.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = weight.ToTensor(), ["bias"] = bias.ToTensor() });
            return conv;
        }

        public void Dispose()
        {
            Query.Dispose();
            Key.Dispose();
            Value.Dispose();
        }
    }

    [Fact]
    public void WithoutGradientsNothingIsRecordedAndNoAttentionIsKept()
    {
        using var scope = Tensor.Scope();
        using (GradMode.NoGrad())
        {
            using var convs = new Convs(Inputs(1, 8, 1, 3, 3));
            var op = new CrissCrossOp(Tensor.Randn(new Shape(1, 8, 3, 3), seed: 1), convs.Query, convs.Key, convs.Value, convs.Gamma, keep: false);
            Assert.False(op.Run().RequiresGrad);
            Assert.Null(op.Attention);
        }
    }

    [Fact]
    public void MismatchedProjectionsFailClearly()
    {
        using var scope = Tensor.Scope();
        using var convs = new Convs(Inputs(1, 8, 1, 3, 3));
        using var wide = new Conv2d(8, 2, 1);
        using var noBias = new Conv2d(8, 8, 1, bias: false);
        var x = Tensor.Randn(new Shape(1, 8, 3, 3), seed: 1);
        Assert.Contains("the key projection must be a 1x1 conv with bias from 8 to 1 channels, not 1x1 from 8 to 2",
            Assert.Throws<ArgumentException>(() => new CrissCrossOp(x, convs.Query, wide, convs.Value, convs.Gamma, false)).Message);
        Assert.Contains("the value projection must be a 1x1 conv with bias",
            Assert.Throws<ArgumentException>(() => new CrissCrossOp(x, convs.Query, convs.Key, noBias, convs.Gamma, false)).Message);
        Assert.Contains("gamma [2] must be [1]",
            Assert.Throws<ArgumentException>(() => new CrissCrossOp(x, convs.Query, convs.Key, convs.Value, Tensor.Zeros(new Shape(2)), false)).Message);
    }

    private static RefTensor[] Inputs(int n, int c, int cq, int h, int w) =>
    [
        RefTensor.Random([n, c, h, w], 1),
        RefTensor.Random([cq, c, 1, 1], 2, 0.5), RefTensor.Random([cq], 3, 0.5),
        RefTensor.Random([cq, c, 1, 1], 4, 0.5), RefTensor.Random([cq], 5, 0.5),
        RefTensor.Random([c, c, 1, 1], 6, 0.5), RefTensor.Random([c], 7, 0.5),
        new RefTensor([1], [0.7]),
    ];

    private static Tensor In(RefTensor r, MemoryFormat format, bool requiresGrad = true)
    {
        var t = r.ToTensor();
        if (t.Rank == 4 && format == MemoryFormat.ChannelsLast) t = F.Materialize(t, format);
        t.RequiresGrad = requiresGrad;
        return t;
    }
}
