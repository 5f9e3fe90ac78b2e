using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class ReduceTests
{
    public static TheoryData<string, int[], int[], bool> Cases()
    {
        var data = new TheoryData<string, int[], int[], bool>();
        var cases = new (int[] shape, int[] axes, bool keepDim)[]
        {
            ([2, 3, 4, 5], [1], false),
            ([2, 3, 4, 5], [0, 2, 3], true),
            ([2, 3, 4, 5], [2, 3], false),
            ([2, 3, 4, 5], [2, 3], true),
            ([2, 3, 4, 5], [], false),
            ([2, 3, 4, 5], [], true),
            ([2, 3, 4, 5], [-1], true),
            ([3, 4], [0], false),
            ([7], [0], false),
        };
        foreach (var op in new[] { "sum", "mean" })
            foreach (var (shape, axes, keepDim) in cases) data.Add(op, shape, axes, keepDim);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(string op, int[] shape, int[] axes, bool keepDim)
    {
        var x = RefTensor.Random(shape, 1);
        var ax = Resolve(axes, shape.Length);
        var y = Reference(op, x, ax, keepDim);
        var gy = RefTensor.Random(y.Shape, 2);
        GradCheck.Verify(v => Reference(op, v[0], ax, keepDim), [x], gy, [ReferenceBackward(op, gy, shape, ax)], op);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(string op, int[] shape, int[] axes, bool keepDim)
    {
        var x = RefTensor.Random(shape, 1);
        var ax = Resolve(axes, shape.Length);
        var y = Reference(op, x, ax, keepDim);
        var gy = RefTensor.Random(y.Shape, 2);
        var gx = ReferenceBackward(op, gy, shape, ax);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (fy, grads) = Fast.ForwardBackward(t => op == "sum" ? F.Sum(t[0], axes, keepDim) : F.Mean(t[0], axes, keepDim), [x], gy, format);
            Check.Close(y, fy, what: $"{op} {format} y");
            Check.Close(gx, grads[0]!, what: $"{op} {format} grad x");
        }
    }

    [Fact]
    public void NullAxesReduceEverythingToAScalarThatCanStartBackward()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        x.RequiresGrad = true;
        var m = F.Mean(x);
        Assert.Equal(0, m.Rank);
        Assert.Equal(2.5f, m.Item());
        m.Backward();
        Assert.Equal([0.25f, 0.25f, 0.25f, 0.25f], x.Grad!.ToArray());
        x.ZeroGrad();
    }

    [Fact]
    public void BadAxesAreRejectedWithTheShapeNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4]);
        var ex = Assert.Throws<ArgumentException>(() => F.Sum(x, [3]));
        Assert.Contains("[2, 3, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Mean(x, [1, -2]));
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Mean(x, [-4]));
    }

    private static int[] Resolve(int[] axes, int rank) =>
        axes.Length == 0 ? Enumerable.Range(0, rank).ToArray() : axes.Select(a => a < 0 ? a + rank : a).ToArray();

    private static RefTensor Reference(string op, RefTensor x, int[] axes, bool keepDim) =>
        op == "sum" ? RefReduce.Sum(x, axes, keepDim) : RefReduce.Mean(x, axes, keepDim);

    private static RefTensor ReferenceBackward(string op, RefTensor gy, int[] shape, int[] axes) =>
        op == "sum" ? RefReduce.SumBackward(gy, shape, axes) : RefReduce.MeanBackward(gy, shape, axes);
}
