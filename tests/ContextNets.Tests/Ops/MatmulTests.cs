using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class MatmulTests
{
    public static TheoryData<int[], int[]> Cases => new()
    {
        { [5, 7], [7, 3] },
        { [1, 4], [4, 1] },
        { [3, 5, 6], [3, 6, 4] },
        { [3, 5, 6], [6, 4] },
        { [5, 6], [2, 6, 4] },
        { [2, 1, 5, 6], [3, 6, 4] },
        { [2, 3, 4, 5], [1, 3, 5, 6] },
        { [2, 1, 4, 5], [1, 3, 5, 2] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] aShape, int[] bShape)
    {
        var a = RefTensor.Random(aShape, 1);
        var b = RefTensor.Random(bShape, 2);
        var gy = RefTensor.Random(RefMatmul.Forward(a, b).Shape, 7);
        var (ga, gb) = RefMatmul.Backward(a, b, gy);
        GradCheck.Verify(v => RefMatmul.Forward(v[0], v[1]), [a, b], gy, [ga, gb], "matmul");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] aShape, int[] bShape)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var a = RefTensor.Random(aShape, 1);
            var b = RefTensor.Random(bShape, 2);
            var y = RefMatmul.Forward(a, b);
            var gy = RefTensor.Random(y.Shape, 7);
            var (ga, gb) = RefMatmul.Backward(a, b, gy);
            var (fy, grads) = Fast.ForwardBackward(t => F.MatMul(t[0], t[1]), [a, b], gy, format);
            string what = $"matmul {Shape.Format(aShape)} x {Shape.Format(bShape)} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(ga, grads[0]!, what: what + " grad a");
            Check.Close(gb, grads[1]!, what: what + " grad b");
        }
    }

    [Fact]
    public void GradientOfOneSideOnlyIsComputedAlone()
    {
        var a = RefTensor.Random([4, 3, 5], 1);
        var b = RefTensor.Random([5, 2], 2);
        var gy = RefTensor.Random([4, 3, 2], 7);
        var (ga, gb) = RefMatmul.Backward(a, b, gy);
        var (_, onlyB) = Fast.ForwardBackward(t => F.MatMul(t[0], t[1]), [a, b], gy, needsGrad: [false, true]);
        Assert.Null(onlyB[0]);
        Check.Close(gb, onlyB[1]!, what: "grad b alone");
        var (_, onlyA) = Fast.ForwardBackward(t => F.MatMul(t[0], t[1]), [a, b], gy, needsGrad: [true, false]);
        Assert.Null(onlyA[1]);
        Check.Close(ga, onlyA[0]!, what: "grad a alone");
    }

    [Fact]
    public void BadShapesAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.MatMul(Tensor.Zeros([3, 4]), Tensor.Zeros([5, 2])));
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Contains("[5, 2]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.MatMul(Tensor.Zeros([2, 3, 4]), Tensor.Zeros([3, 4, 2])));
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Contains("[3, 4, 2]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.MatMul(Tensor.Zeros([4]), Tensor.Zeros([4, 2])));
        Assert.Contains("[4]", ex.Message);
    }
}
