using ContextNets.Autograd;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class LayerNormTests
{
    // Input shape and whether to normalize over channels (LayerNorm2d) instead of the last dim.
    public static TheoryData<int[], bool> Cases => new()
    {
        { [4, 10], false },
        { [2, 3, 7], false },
        { [6], false },
        { [2, 3, 4, 5], false },
        { [2, 8, 1, 1], true },
        { [2, 6, 3, 4], true },
        { [1, 16, 2, 3], true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] shape, bool channels)
    {
        var (x, w, b, axis, eps) = Inputs(shape, channels);
        var y = RefLayerNorm.Forward(x, w, b, axis, eps);
        var gy = RefTensor.Random(y.Shape, 7);
        var (gx, gw, gb) = RefLayerNorm.Backward(x, w, axis, eps, gy);
        GradCheck.Verify(v => RefLayerNorm.Forward(v[0], v[1], v[2], axis, eps), [x, w, b], gy, [gx, gw, gb], $"layer_norm axis {axis}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] shape, bool channels)
    {
        var (x, w, b, axis, eps) = Inputs(shape, channels);
        int d = shape[axis];
        foreach (bool affine in new[] { true, false })
        foreach (var format in shape.Length == 4 ? new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast } : [MemoryFormat.Contiguous])
        {
            var (w1, b1) = affine ? (w, b) : (new RefTensor([d], Enumerable.Repeat(1.0, d).ToArray()), new RefTensor([d]));
            var y = RefLayerNorm.Forward(x, w1, b1, axis, eps);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefLayerNorm.Backward(x, w1, axis, eps, gy);
            var (fy, grads) = Fast.ForwardBackward(t => Op(t[0], affine ? t[1] : null, affine ? t[2] : null, channels), affine ? [x, w, b] : [x], gy, format);
            string what = $"layer_norm {Shape.Format(shape)} channels={channels} affine={affine} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, what: what + " grad x");
            if (affine) Check.Close(gw, grads[1]!, what: what + " grad w");
            if (affine) Check.Close(gb, grads[2]!, what: what + " grad b");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InferenceMatchesReference(int[] shape, bool channels)
    {
        var (x, w, b, axis, eps) = Inputs(shape, channels);
        foreach (var format in shape.Length == 4 ? new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast } : [MemoryFormat.Contiguous])
        {
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            var xt = shape.Length == 4 ? F.Materialize(x.ToTensor(), format) : x.ToTensor();
            var y = Op(xt, w.ToTensor(), b.ToTensor(), channels);
            if (shape.Length == 4 && shape[2] * shape[3] > 1) Assert.Equal(Engine.ActivationFormat, y.Format);
            Check.Close(RefLayerNorm.Forward(x, w, b, axis, eps), y, what: $"layer_norm inference {Shape.Format(shape)} {format}");
        }
    }

    [Fact]
    public void NormalizesOverTheRightAxis()
    {
        using var scope = Tensor.Scope();
        // Channels (1, 3) at one position and (2, 2) at the other: LayerNorm2d gives (-1, 1) and (0, 0).
        var x = Tensor.FromArray([1, 2, 3, 2], 1, 2, 1, 2);
        var y = F.LayerNorm2d(x, null, null);
        Assert.Equal(-1f, y[0, 0, 0, 0], 4);
        Assert.Equal(1f, y[0, 1, 0, 0], 4);
        Assert.Equal(0f, y[0, 1, 0, 1], 4);
        // Over the last dim the rows are (1, 2) and (3, 2).
        var z = F.LayerNorm(x, null, null);
        Assert.Equal(-1f, z[0, 0, 0, 0], 4);
        Assert.Equal(-1f, z[0, 1, 0, 1], 4);
    }

    [Fact]
    public void BadInputsAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.Zeros([2, 5]), Tensor.Ones([4]), null));
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[2, 5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.LayerNorm2d(Tensor.Zeros([2, 5, 3, 3]), null, Tensor.Zeros([3])));
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[2, 5, 3, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.LayerNorm2d(Tensor.Zeros([2, 5]), null, null));
        Assert.Contains("[2, 5]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.Zeros([2, 5]), null, null, eps: 0));
    }

    private static Tensor Op(Tensor x, Tensor? w, Tensor? b, bool channels) => channels ? F.LayerNorm2d(x, w, b) : F.LayerNorm(x, w, b);

    private static (RefTensor x, RefTensor w, RefTensor b, int axis, double eps) Inputs(int[] shape, bool channels)
    {
        int axis = channels ? 1 : shape.Length - 1;
        return (RefTensor.Random(shape, 1, 2.0), RefTensor.Random([shape[axis]], 2), RefTensor.Random([shape[axis]], 3), axis, channels ? 1e-6 : 1e-5);
    }
}
