using ContextNets.Autograd;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class PoolTests
{
    // input shape; window kh, kw, sh, sw, ph, pw, dilation
    public static TheoryData<int[], int[]> MaxCases => new()
    {
        { [2, 3, 8, 8], [2, 2, 2, 2, 0, 0, 1] },
        { [1, 4, 7, 7], [3, 3, 2, 2, 1, 1, 1] },
        { [2, 2, 5, 6], [3, 3, 1, 1, 1, 1, 1] },
        { [1, 3, 6, 7], [2, 3, 1, 2, 1, 1, 1] },
        { [1, 2, 9, 9], [3, 3, 1, 1, 1, 1, 2] },
        { [2, 5, 7, 7], [2, 2, 2, 2, 0, 0, 1] },
    };

    // input shape; window kh, kw, sh, sw, ph, pw
    public static TheoryData<int[], int[]> AvgCases => new()
    {
        { [2, 3, 8, 8], [2, 2, 2, 2, 0, 0] },
        { [1, 4, 7, 7], [3, 3, 2, 2, 1, 1] },
        { [2, 2, 8, 8], [3, 3, 2, 2, 1, 1] },
        { [1, 3, 5, 5], [3, 3, 1, 1, 1, 1] },
        { [1, 2, 6, 5], [3, 2, 2, 1, 1, 1] },
        { [2, 3, 5, 5], [2, 2, 2, 2, 1, 1] },
    };

    [Theory]
    [MemberData(nameof(MaxCases))]
    public void MaxReferenceGradientMatchesFiniteDifferences(int[] shape, int[] win)
    {
        var (k, kh, kw, sh, sw, ph, pw, dil) = Window(win);
        var x = RefTensor.Random(shape, 1);
        var (y, argmax) = RefPool.MaxForward(x, k);
        var gy = RefTensor.Random(y.Shape, 7);
        var gx = RefPool.MaxBackward(x.Shape, argmax, gy);
        GradCheck.Verify(v => RefPool.MaxForward(v[0], k).y, [x], gy, [gx], $"max_pool2d {k}");
    }

    [Theory]
    [MemberData(nameof(MaxCases))]
    public void MaxFastPathMatchesReference(int[] shape, int[] win)
    {
        var (k, kh, kw, sh, sw, ph, pw, dil) = Window(win);
        var x = RefTensor.Random(shape, 1);
        var (y, argmax) = RefPool.MaxForward(x, k);
        var gy = RefTensor.Random(y.Shape, 7);
        var gx = RefPool.MaxBackward(x.Shape, argmax, gy);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (fy, grads) = Fast.ForwardBackward(t => F.MaxPool2d(t[0], (kh, kw), (sh, sw), (ph, pw), (dil, dil)), [x], gy, format);
            Check.Close(y, fy, what: $"max_pool2d {k} {format} y");
            Check.Close(gx, grads[0]!, what: $"max_pool2d {k} {format} grad x");
            Check.Close(y, Inference(x, format, t => F.MaxPool2d(t, (kh, kw), (sh, sw), (ph, pw), (dil, dil))), what: $"max_pool2d {k} {format} inference");
        }
    }

    [Theory]
    [MemberData(nameof(AvgCases))]
    public void AvgReferenceGradientMatchesFiniteDifferences(int[] shape, int[] win)
    {
        var (k, kh, kw, sh, sw, ph, pw, _) = Window(win);
        foreach (bool include in new[] { true, false })
        {
            var x = RefTensor.Random(shape, 1);
            var y = RefPool.AvgForward(x, k, include);
            var gy = RefTensor.Random(y.Shape, 7);
            var gx = RefPool.AvgBackward(x.Shape, k, include, gy);
            GradCheck.Verify(v => RefPool.AvgForward(v[0], k, include), [x], gy, [gx], $"avg_pool2d {k} include={include}");
        }
    }

    [Theory]
    [MemberData(nameof(AvgCases))]
    public void AvgFastPathMatchesReference(int[] shape, int[] win)
    {
        var (k, kh, kw, sh, sw, ph, pw, _) = Window(win);
        foreach (bool include in new[] { true, false })
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var x = RefTensor.Random(shape, 1);
            var y = RefPool.AvgForward(x, k, include);
            var gy = RefTensor.Random(y.Shape, 7);
            var gx = RefPool.AvgBackward(x.Shape, k, include, gy);
            var (fy, grads) = Fast.ForwardBackward(t => F.AvgPool2d(t[0], (kh, kw), (sh, sw), (ph, pw), include), [x], gy, format);
            string what = $"avg_pool2d {k} include={include} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, what: what + " grad x");
        }
    }

    [Fact]
    public void AvgPaddingCountsOnlyWhenAsked()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Ones([1, 1, 2, 2]);
        // A 3x3 window padded by 1 over a 2x2 input: each output sees 4 ones among 9 window cells.
        Assert.Equal(4f / 9f, F.AvgPool2d(x, 3, 1, 1)[0, 0, 0, 0], 6);
        Assert.Equal(1f, F.AvgPool2d(x, 3, 1, 1, countIncludePad: false)[0, 0, 1, 1], 6);
    }

    [Theory]
    [InlineData(2, 3, 5, 7)]
    [InlineData(1, 8, 1, 1)]
    [InlineData(3, 4, 4, 4)]
    public void GlobalAvgMatchesReference(int n, int c, int h, int w)
    {
        var x = RefTensor.Random([n, c, h, w], 1);
        var y = RefPool.GlobalAvgForward(x);
        var gy = RefTensor.Random(y.Shape, 7);
        var gx = RefPool.GlobalAvgBackward(x.Shape, gy);
        GradCheck.Verify(v => RefPool.GlobalAvgForward(v[0]), [x], gy, [gx], "global_avg_pool2d");
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (fy, grads) = Fast.ForwardBackward(t => F.GlobalAvgPool2d(t[0]), [x], gy, format);
            Check.Close(y, fy, what: $"global_avg_pool2d {format} y");
            Check.Close(gx, grads[0]!, what: $"global_avg_pool2d {format} grad x");
        }
    }

    [Fact]
    public void OutputsAreInTheActivationLayout()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([1, 3, 6, 6], 1);
        Assert.Equal(Engine.ActivationFormat, F.MaxPool2d(x, 2).Format);
        Assert.Equal(Engine.ActivationFormat, F.AvgPool2d(x, 3, 2, 1).Format);
        Assert.Equal(new Shape(1, 3, 3, 3), F.MaxPool2d(x, 2).Shape);
        Assert.Equal(new Shape(1, 3, 1, 1), F.GlobalAvgPool2d(x).Shape);
    }

    [Fact]
    public void MaxWorkspaceIsFreedByTheBackward()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([1, 2, 4, 4], 1);
        x.RequiresGrad = true;
        var y = F.MaxPool2d(x, 2);
        using var gy = Tensor.Ones(y.Shape);
        y.Backward(gy);
        Assert.Equal(8f, x.Grad!.ToArray().Sum());
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward(gy));
        Assert.Contains("workspace", ex.Message);
    }

    [Fact]
    public void BadInputsAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([1, 2, 5, 5]);
        var ex = Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros([2, 5, 5]), 2));
        Assert.Contains("[2, 5, 5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 3, 1, 2));
        Assert.Contains("half the kernel", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.AvgPool2d(x, 6));
        Assert.Contains("too small", ex.Message);
        Assert.Contains("[1, 2, 5, 5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 3, dilation: 3));
        Assert.Contains("too small", ex.Message);
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 0));
        Assert.Throws<ArgumentException>(() => F.AvgPool2d(x, 2, 0));
        Assert.Throws<ArgumentException>(() => F.AvgPool2d(x, 2, padding: -1));
        Assert.Throws<ArgumentException>(() => F.GlobalAvgPool2d(Tensor.Zeros([2, 5])));
    }

    private static (RefWindow k, int kh, int kw, int sh, int sw, int ph, int pw, int dil) Window(int[] w)
    {
        int dil = w.Length > 6 ? w[6] : 1;
        return (new RefWindow(w[0], w[1], w[2], w[3], w[4], w[5], dil, dil), w[0], w[1], w[2], w[3], w[4], w[5], dil);
    }

    private static RefTensor Inference(RefTensor x, MemoryFormat format, Func<Tensor, Tensor> op)
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var t = F.Materialize(x.ToTensor(), format);
        return RefTensor.From(op(t));
    }
}
