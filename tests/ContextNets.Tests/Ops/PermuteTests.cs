using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public unsafe class PermuteTests
{
    public static TheoryData<int[], int[]> Cases => new()
    {
        { [2, 3, 4, 5], [0, 2, 3, 1] },
        { [2, 3, 4, 5], [0, 3, 1, 2] },
        { [2, 3, 4, 5], [3, 2, 1, 0] },
        { [2, 3, 1, 5], [1, 0, 3, 2] },
        { [3, 4], [1, 0] },
        { [2, 3, 4], [1, 2, 0] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] shape, int[] axes)
    {
        var x = RefTensor.Random(shape, 1);
        var gy = RefTensor.Random(RefShape.Permute(x, axes).Shape, 2);
        GradCheck.Verify(v => RefShape.Permute(v[0], axes), [x], gy, [RefShape.PermuteBackward(gy, axes)], "permute");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] shape, int[] axes)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var x = RefTensor.Random(shape, 1);
            var expected = RefShape.Permute(x, axes);
            var gy = RefTensor.Random(expected.Shape, 2);
            var (y, grads) = Fast.ForwardBackward(t => F.Permute(t[0], axes), [x], gy, format);
            Check.Close(expected, y, what: $"permute {format} y");
            Check.Close(RefShape.PermuteBackward(gy, axes), grads[0]!, what: $"permute {format} grad x");
        }
    }

    [Fact]
    public void ResultIsRowMajorAndAViewWhenMemoryAlreadyLiesSo()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 3, 4, 5], 1);
        var p = x.Permute(0, 3, 1, 2);
        Assert.True(p.IsContiguous);
        Assert.Equal(MemoryFormat.Contiguous, p.Format);
        Assert.False(p.Data == x.Data);
        Assert.Equal(x[1, 2, 3, 4], p[1, 4, 2, 3]);

        var cl = F.ToFormat(x, MemoryFormat.ChannelsLast);
        var nhwc = cl.Permute(0, 2, 3, 1);
        Assert.True(nhwc.Data == cl.Data);
        Assert.True(nhwc.IsContiguous);
        Assert.Equal(x[1, 2, 3, 4], nhwc[1, 3, 4, 2]);
    }

    [Fact]
    public void TransposeSwapsTwoAxesAndTakesNegativeAxes()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 3, 4], 1);
        var t = x.Transpose(0, -1);
        Assert.Equal(new Shape(4, 3, 2), t.Shape);
        Assert.Equal(F.Permute(x, 2, 1, 0).ToArray(), t.ToArray());
        Assert.Equal(F.Permute(x, -1, 0, 1).ToArray(), F.Permute(x, 2, 0, 1).ToArray());
    }

    [Fact]
    public void BadAxesAreRejectedWithTheShapeNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4]);
        var ex = Assert.Throws<ArgumentException>(() => F.Permute(x, 0, 1));
        Assert.Contains("[2, 3, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Permute(x, 0, 1, 1));
        Assert.Contains("[0, 1, 1]", ex.Message);
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Permute(x, 0, 1, 3));
        ex = Assert.Throws<ArgumentException>(() => F.Transpose(x, 0, 3));
        Assert.Contains("[2, 3, 4]", ex.Message);
    }
}
