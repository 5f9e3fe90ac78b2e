using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class Conv3dTests
{
    // What the video ResNets use (3x3x3, 1x3x3 / 3x1x1 factorized, 1x1x1 strided shortcuts, 3x7x7 stems), plus
    // dilation and groups (depthwise and two groups).
    public static TheoryData<int[], int[], int, int[], int[], int[], bool> Cases => new()
    {
        // x shape, weight shape, groups, stride, padding, dilation, bias
        { [2, 3, 4, 6, 6], [4, 3, 3, 3, 3], 1, [1, 1, 1], [1, 1, 1], [1, 1, 1], true },
        { [1, 4, 5, 7, 7], [6, 4, 1, 3, 3], 1, [1, 2, 2], [0, 1, 1], [1, 1, 1], false },
        { [1, 4, 5, 4, 4], [4, 4, 3, 1, 1], 1, [2, 1, 1], [1, 0, 0], [1, 1, 1], true },
        { [1, 4, 6, 6, 6], [4, 2, 3, 3, 3], 2, [1, 1, 1], [2, 2, 2], [2, 2, 2], true },
        { [2, 4, 3, 5, 5], [4, 1, 3, 3, 3], 4, [2, 2, 2], [1, 1, 1], [1, 1, 1], false },
        { [1, 3, 4, 9, 9], [2, 3, 3, 7, 7], 1, [1, 2, 2], [1, 3, 3], [1, 1, 1], false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] xs, int[] ws, int groups, int[] stride, int[] pad, int[] dil, bool bias)
    {
        var (x, w, b, g) = Inputs(xs, ws, stride, pad, dil, bias);
        var y = RefConv3d.Forward(x, w, b, g, groups);
        var gy = RefTensor.Random(y.Shape, 7);
        var (gx, gw, gb) = RefConv3d.Backward(x, w, gy, g, groups);
        var inputs = bias ? new[] { x, w, b! } : new[] { x, w };
        GradCheck.Verify(v => RefConv3d.Forward(v[0], v[1], bias ? v[2] : null, g, groups), inputs, gy, bias ? [gx, gw, gb] : [gx, gw],
            $"conv3d g{groups}", maxSamples: 25);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] xs, int[] ws, int groups, int[] stride, int[] pad, int[] dil, bool bias)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (x, w, b, g) = Inputs(xs, ws, stride, pad, dil, bias);
            var y = RefConv3d.Forward(x, w, b, g, groups);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefConv3d.Backward(x, w, gy, g, groups);
            var inputs = bias ? new[] { x, w, b! } : new[] { x, w };
            var (fy, grads) = Fast.ForwardBackward(t => F.Conv3d(t[0], t[1], bias ? t[2] : null, g.Stride, g.Pad, g.Dilation, groups), inputs, gy, format);
            string what = $"conv3d {Shape.Format(ws)} g{groups} input {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, 1e-4, 1e-5, what + " grad x");
            Check.Close(gw, grads[1]!, 1e-4, 1e-5, what + " grad w");
            if (bias) Check.Close(gb, grads[2]!, 1e-4, 1e-5, what + " grad b");
        }
    }

    [Fact]
    public void OutputIsInTheClipLayout()
    {
        using var scope = Tensor.Scope();
        var y = F.Conv3d(Tensor.Randn([1, 3, 4, 5, 5], 1), Tensor.Randn([8, 3, 3, 3, 3], 2), padding: 1);
        Assert.True(y.IsIn(Engine.ClipFormat));
        Assert.Equal([1, 8, 4, 5, 5], y.Shape.Dims.ToArray());
    }

    [Fact]
    public void BadShapesAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([1, 4, 4, 8, 8]);
        var ex = Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros([8, 3, 3, 3, 3])));
        Assert.Contains("[8, 3, 3, 3, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros([8, 4, 5, 3, 3])));
        Assert.Contains("too small", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros([6, 1, 3, 3, 3]), groups: 4));
        Assert.Contains("groups = 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv3d(Tensor.Zeros([4, 8, 8, 8]), Tensor.Zeros([8, 4, 3, 3, 3])));
        Assert.Contains("[N, C, D, H, W]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros([8, 4, 3, 3, 3]), stride: 0));
    }

    private static (RefTensor x, RefTensor w, RefTensor? b, Ref3d g) Inputs(int[] xs, int[] ws, int[] stride, int[] pad, int[] dil, bool bias) =>
        (RefTensor.Random(xs, 1), RefTensor.Random(ws, 2, 0.3), bias ? RefTensor.Random([ws[0]], 3) : null,
            new Ref3d((stride[0], stride[1], stride[2]), (pad[0], pad[1], pad[2]), (dil[0], dil[1], dil[2])));
}
