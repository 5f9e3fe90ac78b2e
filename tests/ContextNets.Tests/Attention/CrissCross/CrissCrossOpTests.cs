using ContextNets.Attention;
using ContextNets.Backend.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention.CrissCross;

/// <summary>
/// The fused criss-cross op against its float64 oracle, whose own backward is checked by finite differences.
/// Inputs: x [N, C, H, W], q and k [N, Cq, H, W], v [N, C, H, W], gamma [1].
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
        var inputs = Inputs(1, 2, 1, 3, 4);
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
        string[] names = ["grad x", "grad q", "grad k", "grad v", "grad gamma"];
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            using var scope = Tensor.Scope();
            var t = inputs.Select(r => In(r, format)).ToArray();
            var y = CrissCrossOp.Forward(t[0], t[1], t[2], t[3], t[4], out var attention);
            Check.Close(RefCrissCross.Forward(inputs), y, what: $"{format} y");
            Check.Close(RefCrissCross.Attention(inputs), attention, what: $"{format} attention");
            y.Backward(In(gy, format, requiresGrad: false));
            for (int k = 0; k < t.Length; k++) Check.Close(expected[k], t[k].Grad!, what: $"{format} {names[k]}");
        }
    }

    [Fact]
    public void WithoutGradientsNothingIsRecorded()
    {
        using var scope = Tensor.Scope();
        var t = Inputs(1, 8, 1, 3, 3).Select(r => r.ToTensor()).ToArray();
        var y = CrissCrossOp.Forward(t[0], t[1], t[2], t[3], t[4], out _);
        Assert.False(y.RequiresGrad);
    }

    [Fact]
    public void MismatchedShapesFailClearly()
    {
        using var scope = Tensor.Scope();
        var t = Inputs(1, 8, 1, 3, 3).Select(r => r.ToTensor()).ToArray();
        var narrowK = Tensor.Zeros(new Shape(1, 2, 3, 3));
        Assert.Contains("k [1, 2, 3, 3] must have the shape of q", Assert.Throws<ArgumentException>(() => CrissCrossOp.Forward(t[0], t[1], narrowK, t[3], t[4], out _)).Message);
        Assert.Contains("v [1, 1, 3, 3] must have the shape of x", Assert.Throws<ArgumentException>(() => CrissCrossOp.Forward(t[0], t[1], t[2], t[1], t[4], out _)).Message);
        Assert.Contains("gamma [2] must be [1]", Assert.Throws<ArgumentException>(() => CrissCrossOp.Forward(t[0], t[1], t[2], t[3], Tensor.Zeros(new Shape(2)), out _)).Message);
    }

    private static RefTensor[] Inputs(int n, int c, int cq, int h, int w) =>
    [
        RefTensor.Random([n, c, h, w], 1),
        RefTensor.Random([n, cq, h, w], 2),
        RefTensor.Random([n, cq, h, w], 3),
        RefTensor.Random([n, c, h, w], 4),
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
