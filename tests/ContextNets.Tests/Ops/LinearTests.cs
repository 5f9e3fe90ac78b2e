using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class LinearTests
{
    public static TheoryData<int[], int, bool> Cases => new()
    {
        { [4, 6], 3, true },
        { [4, 6], 5, false },
        { [6], 3, true },
        { [2, 3, 5], 4, true },
        { [2, 3, 4, 5], 7, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] xShape, int outF, bool bias)
    {
        var (x, w, b) = Inputs(xShape, outF, bias);
        var gy = RefTensor.Random(RefMatmul.Linear(x, w, b).Shape, 7);
        var (gx, gw, gb) = RefMatmul.LinearBackward(x, w, gy);
        GradCheck.Verify(v => RefMatmul.Linear(v[0], v[1], bias ? v[2] : null), bias ? [x, w, b!] : [x, w], gy,
            bias ? [gx, gw, gb] : [gx, gw], "linear");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] xShape, int outF, bool bias)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (x, w, b) = Inputs(xShape, outF, bias);
            var y = RefMatmul.Linear(x, w, b);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefMatmul.LinearBackward(x, w, gy);
            var (fy, grads) = Fast.ForwardBackward(t => F.Linear(t[0], t[1], bias ? t[2] : null), bias ? [x, w, b!] : [x, w], gy, format);
            string what = $"linear {Shape.Format(xShape)} -> {outF} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, what: what + " grad x");
            Check.Close(gw, grads[1]!, what: what + " grad w");
            if (bias) Check.Close(gb, grads[2]!, what: what + " grad b");
        }
    }

    [Fact]
    public void BadShapesAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([2, 5]);
        var ex = Assert.Throws<ArgumentException>(() => F.Linear(x, Tensor.Zeros([3, 4])));
        Assert.Contains("[2, 5]", ex.Message);
        Assert.Contains("[3, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Linear(x, Tensor.Zeros([3, 5]), Tensor.Zeros([4])));
        Assert.Contains("[4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Linear(x, Tensor.Zeros([15])));
        Assert.Contains("[15]", ex.Message);
    }

    private static (RefTensor x, RefTensor w, RefTensor? b) Inputs(int[] xShape, int outF, bool bias) =>
        (RefTensor.Random(xShape, 1), RefTensor.Random([outF, xShape[^1]], 2, 0.5), bias ? RefTensor.Random([outF], 3) : null);
}
