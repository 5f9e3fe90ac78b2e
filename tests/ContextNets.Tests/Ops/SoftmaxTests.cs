using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class SoftmaxTests
{
    public static TheoryData<int[], int, bool> Cases => new()
    {
        { [4, 9], 1, false },
        { [4, 9], 0, true },
        { [4, 9], -1, true },
        { [2, 49], 1, false },
        { [3, 4, 5], 1, false },
        { [3, 4, 5], 2, true },
        { [2, 6, 3, 4], 1, false },
        { [2, 6, 3, 4], 1, true },
        { [2, 6, 3, 4], 3, false },
        { [2, 6, 3, 4], 0, true },
        { [2, 1, 5, 5], 3, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] shape, int axis, bool log)
    {
        var x = RefTensor.Random(shape, 1, 3);
        int ax = axis < 0 ? axis + shape.Length : axis;
        var y = RefSoftmax.Forward(x, ax, log);
        var gy = RefTensor.Random(shape, 7);
        GradCheck.Verify(v => RefSoftmax.Forward(v[0], ax, log), [x], gy, [RefSoftmax.Backward(y, gy, ax, log)], Name(log));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] shape, int axis, bool log)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var x = RefTensor.Random(shape, 1, 3);
            int ax = axis < 0 ? axis + shape.Length : axis;
            var y = RefSoftmax.Forward(x, ax, log);
            var gy = RefTensor.Random(shape, 7);
            var (fy, grads) = Fast.ForwardBackward(t => log ? F.LogSoftmax(t[0], axis) : F.Softmax(t[0], axis), [x], gy, format);
            string what = $"{Name(log)} {Shape.Format(shape)} axis {axis} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(RefSoftmax.Backward(y, gy, ax, log), grads[0]!, what: what + " grad");
        }
    }

    [Fact]
    public void ChannelsLastInputOverChannelsKeepsItsLayoutAndSumsToOne()
    {
        using var scope = Tensor.Scope();
        var x = F.Materialize(Tensor.Randn([2, 5, 3, 3], 1, 4f), MemoryFormat.ChannelsLast);
        var y = F.Softmax(x, 1);
        Assert.Equal(MemoryFormat.ChannelsLast, y.Format);
        for (int n = 0; n < 2; n++)
        for (int h = 0; h < 3; h++)
        for (int w = 0; w < 3; w++)
        {
            double s = 0;
            for (int c = 0; c < 5; c++) s += y[n, c, h, w];
            Assert.InRange(s, 1 - 1e-6, 1 + 1e-6);
        }
    }

    [Fact]
    public void LargeLogitsDoNotOverflow()
    {
        var x = new RefTensor([1, 3], [1000, 0, -1000]);
        using var scope = Tensor.Scope();
        Check.Close(new RefTensor([1, 3], [0, -1000, -2000]), F.LogSoftmax(x.ToTensor(), 1), what: "log_softmax of large logits");
        Check.Close(new RefTensor([1, 3], [1, 0, 0]), F.Softmax(x.ToTensor(), 1), what: "softmax of large logits");
    }

    [Fact]
    public void BadAxisIsRejectedWithTheShapeNamed()
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.Softmax(Tensor.Zeros([2, 3]), 2));
        Assert.Contains("[2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.LogSoftmax(Tensor.Zeros([2, 3]), -3));
        Assert.Contains("[2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Softmax(Tensor.Scalar(1f), 0));
        Assert.Contains("[]", ex.Message);
    }

    private static string Name(bool log) => log ? "log_softmax" : "softmax";
}
