using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>Average pooling in ceil mode, as timm's avg-down shortcut (2x2, stride 2, ceil, padding excluded) needs it for odd sizes.</summary>
public class PoolCeilModeTests
{
    // input shape; window kh, kw, sh, sw, ph, pw
    public static TheoryData<int[], int[]> Cases => new()
    {
        { [2, 3, 7, 7], [2, 2, 2, 2, 0, 0] },
        { [1, 2, 5, 6], [2, 2, 2, 2, 0, 0] },
        { [1, 3, 7, 5], [3, 3, 2, 2, 1, 1] },
        { [1, 2, 6, 6], [3, 3, 2, 2, 0, 0] },
        { [2, 2, 8, 8], [2, 2, 2, 2, 0, 0] },
        { [1, 2, 3, 9], [2, 3, 2, 3, 1, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] shape, int[] win)
    {
        var k = Window(win);
        var x = RefTensor.Random(shape, 1);
        var y = RefPool.AvgForward(x, k, countIncludePad: false);
        var gy = RefTensor.Random(y.Shape, 7);
        var gx = RefPool.AvgBackward(x.Shape, k, false, gy);
        GradCheck.Verify(v => RefPool.AvgForward(v[0], k, false), [x], gy, [gx], $"avg_pool2d ceil {k}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] shape, int[] win)
    {
        var k = Window(win);
        var x = RefTensor.Random(shape, 1);
        var y = RefPool.AvgForward(x, k, countIncludePad: false);
        var gy = RefTensor.Random(y.Shape, 7);
        var gx = RefPool.AvgBackward(x.Shape, k, false, gy);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (fy, grads) = Fast.ForwardBackward(t => F.AvgPool2d(t[0], (k.Kh, k.Kw), (k.Sh, k.Sw), (k.Ph, k.Pw), countIncludePad: false, ceilMode: true), [x], gy, format);
            Check.Close(y, fy, what: $"avg_pool2d ceil {k} {format} y");
            Check.Close(gx, grads[0]!, what: $"avg_pool2d ceil {k} {format} grad x");
        }
    }

    [Theory]
    [InlineData(7, 4)]
    [InlineData(6, 3)]
    [InlineData(1, 1)]
    public void SizesRoundUpAsInPyTorch(int size, int expected)
    {
        Assert.Equal(expected, new RefWindow(2, 2, 2, 2, 0, 0, Ceil: true).OutH(size));
        using var scope = Tensor.Scope();
        Assert.Equal(new Shape(1, 1, expected, expected), F.AvgPool2d(Tensor.Zeros([1, 1, size, size]), 2, 2, countIncludePad: false, ceilMode: true).Shape);
    }

    [Fact]
    public void TheLastPartialWindowAveragesOnlyWhatItCovers()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f }, 1, 1, 3, 3);
        var y = F.AvgPool2d(x, 2, 2, countIncludePad: false, ceilMode: true);
        Assert.Equal([3f, 4.5f, 7.5f, 9f], y.ToArray());
    }

    [Fact]
    public void IncludedPaddingWithAPartialWindowIsRefused()
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<NotSupportedException>(() => F.AvgPool2d(Tensor.Zeros([1, 2, 7, 7]), 2, 2, ceilMode: true));
        Assert.Contains("[1, 2, 7, 7]", ex.Message);
        Assert.Equal(new Shape(1, 2, 4, 4), F.AvgPool2d(Tensor.Zeros([1, 2, 8, 8]), 2, 2, ceilMode: true).Shape);
    }

    [Fact]
    public void AWindowThatCannotStartInsideTheInputIsTooSmall()
    {
        using var scope = Tensor.Scope();
        // PyTorch: ceil((1 - 3) / 2) + 1 = 0 outputs.
        var ex = Assert.Throws<ArgumentException>(() => F.AvgPool2d(Tensor.Zeros([1, 2, 1, 1]), 3, 2, countIncludePad: false, ceilMode: true));
        Assert.Contains("[1, 2, 1, 1]", ex.Message);
    }

    private static RefWindow Window(int[] w) => new(w[0], w[1], w[2], w[3], w[4], w[5], Ceil: true);
}
