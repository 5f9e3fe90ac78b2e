using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class CatTests
{
    public static TheoryData<string, int> Cases => new()
    {
        // input shapes, axis
        { "2x3x4x4 2x5x4x4", 1 },
        { "2x3x4x4 1x3x4x4 3x3x4x4", 0 },
        { "2x3x4x2 2x3x4x5", 3 },
        { "2x3 2x1 2x4", 1 },
        { "2x3 2x3", 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(string shapes, int axis)
    {
        var xs = Inputs(shapes);
        var gy = RefTensor.Random(RefShape.Cat(xs, axis).Shape, 9);
        GradCheck.Verify(v => RefShape.Cat(v, axis), xs, gy, RefShape.CatBackward(gy, xs, axis), "cat");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(string shapes, int axis)
    {
        var xs = Inputs(shapes);
        var expected = RefShape.Cat(xs, axis);
        var gy = RefTensor.Random(expected.Shape, 9);
        var gxs = RefShape.CatBackward(gy, xs, axis);
        // Mixed: only the first input channels-last; all: every input converted inside the graph.
        var variants = new (string name, MemoryFormat format, Func<Tensor[], Tensor> op)[]
        {
            ("contiguous", MemoryFormat.Contiguous, t => F.Cat(t, axis)),
            ("mixed", MemoryFormat.ChannelsLast, t => F.Cat(t, axis)),
            ("channels-last", MemoryFormat.Contiguous, t => F.Cat(t.Select(u => u.Rank == 4 ? F.ToFormat(u, MemoryFormat.ChannelsLast) : u).ToArray(), axis)),
        };
        foreach (var (name, format, op) in variants)
        {
            var (y, grads) = Fast.ForwardBackward(op, xs, gy, format);
            Check.Close(expected, y, what: $"cat {name} y");
            for (int k = 0; k < xs.Length; k++) Check.Close(gxs[k], grads[k]!, what: $"cat {name} grad {k}");
        }
    }

    [Fact]
    public void OnlyInputsThatNeedAGradientGetOne()
    {
        var xs = Inputs("2x3x4x4 2x5x4x4");
        var gy = RefTensor.Random([2, 8, 4, 4], 9);
        var (_, grads) = Fast.ForwardBackward(t => F.Cat(t, 1), xs, gy, needsGrad: [false, true]);
        Assert.Null(grads[0]);
        Check.Close(RefShape.CatBackward(gy, xs, 1)[1], grads[1]!, what: "cat grad 1");
    }

    [Fact]
    public void ChannelsLastInputGivesAChannelsLastResult()
    {
        using var scope = Tensor.Scope();
        var a = F.ToFormat(Tensor.Randn([2, 3, 4, 4], 1), MemoryFormat.ChannelsLast);
        var b = Tensor.Randn([2, 5, 4, 4], 2);
        Assert.Equal(MemoryFormat.ChannelsLast, F.Cat([b, a], 1).Format);
        Assert.Equal(MemoryFormat.Contiguous, F.Cat([b, b], 1).Format);
    }

    [Fact]
    public void MismatchedShapesAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var a = Tensor.Zeros([2, 3, 4]);
        var ex = Assert.Throws<ArgumentException>(() => F.Cat([a, Tensor.Zeros([2, 3, 5])], 1));
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Contains("[2, 3, 5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Cat([a, Tensor.Zeros([2, 3])], 0));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Cat([], 0));
        Assert.Throws<ArgumentException>(() => F.Cat([a], 3));
    }

    private static RefTensor[] Inputs(string shapes) =>
        shapes.Split(' ').Select((s, i) => RefTensor.Random(s.Split('x').Select(int.Parse).ToArray(), i + 1)).ToArray();
}
