using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public unsafe class SliceTests
{
    public static TheoryData<int[], int, int, int> Cases => new()
    {
        // shape, axis, start, length
        { [4, 3, 5, 6], 0, 1, 2 },
        { [4, 3, 5, 6], 1, 1, 2 },
        { [4, 3, 5, 6], 3, 2, 3 },
        { [1, 6, 4, 4], 1, 2, 3 },
        { [5, 7], 1, 0, 7 },
        { [5, 7], 0, 2, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] shape, int axis, int start, int length)
    {
        var x = RefTensor.Random(shape, 1);
        var gy = RefTensor.Random(RefShape.Slice(x, axis, start, length).Shape, 2);
        GradCheck.Verify(v => RefShape.Slice(v[0], axis, start, length), [x], gy,
            [RefShape.SliceBackward(gy, shape, axis, start)], "slice");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] shape, int axis, int start, int length)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var x = RefTensor.Random(shape, 1);
            var expected = RefShape.Slice(x, axis, start, length);
            var gy = RefTensor.Random(expected.Shape, 2);
            var (y, grads) = Fast.ForwardBackward(t => F.Slice(t[0], axis, start, length), [x], gy, format);
            Check.Close(expected, y, what: $"slice {format} y");
            Check.Close(RefShape.SliceBackward(gy, shape, axis, start), grads[0]!, what: $"slice {format} grad x");
        }
    }

    public static TheoryData<int[], int, int, int, int> StepCases => new()
    {
        // shape, axis, start, count, step
        { [4, 3, 5, 6], 3, 0, 3, 2 },
        { [4, 3, 5, 6], 3, 5, 6, -1 },
        { [4, 3, 5, 6], 1, 2, 2, -2 },
        { [4, 3, 5, 6], 0, 1, 2, 2 },
        { [2, 7, 3, 3], 1, 6, 3, -3 },
        { [5, 7], 1, 1, 0, 4 },
    };

    [Theory]
    [MemberData(nameof(StepCases))]
    public void SteppedReferenceGradientMatchesFiniteDifferences(int[] shape, int axis, int start, int count, int step)
    {
        var x = RefTensor.Random(shape, 1);
        var gy = RefTensor.Random(RefShape.Slice(x, axis, start, count, step).Shape, 2);
        GradCheck.Verify(v => RefShape.Slice(v[0], axis, start, count, step), [x], gy,
            [RefShape.SliceBackward(gy, shape, axis, start, step)], "stepped slice");
    }

    [Theory]
    [MemberData(nameof(StepCases))]
    public void SteppedFastPathMatchesReference(int[] shape, int axis, int start, int count, int step)
    {
        foreach (var format in shape.Length == 4 ? new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast } : [MemoryFormat.Contiguous])
        {
            var x = RefTensor.Random(shape, 1);
            var expected = RefShape.Slice(x, axis, start, count, step);
            var gy = RefTensor.Random(expected.Shape, 2);
            var (y, grads) = Fast.ForwardBackward(t => F.Slice(t[0], axis, start, count, step), [x], gy, format);
            Check.Close(expected, y, what: $"stepped slice {format} y");
            Check.Close(RefShape.SliceBackward(gy, shape, axis, start, step), grads[0]!, what: $"stepped slice {format} grad x");
        }
    }

    [Fact]
    public void SteppedRangesOutsideTheAxisAreRejected()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([4, 6]);
        Assert.Contains("[4, 6]", Assert.Throws<ArgumentException>(() => F.Slice(x, 1, 0, 4, 2)).Message);
        Assert.Throws<ArgumentException>(() => F.Slice(x, 1, 1, 3, -1));
        Assert.Throws<ArgumentException>(() => F.Slice(x, 1, 6, 1, -1));
        Assert.Throws<ArgumentException>(() => F.Slice(x, 1, 0, 1, 0));
        Assert.Equal([4, 3], F.Slice(x, 1, 5, 3, -2).Shape.Dims.ToArray());
    }

    [Fact]
    public void OutermostAxisIsAFreeViewOtherAxesACopyInTheSameLayout()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([4, 3, 5, 6], 1);
        var cl = F.ToFormat(x, MemoryFormat.ChannelsLast);
        Assert.True(F.Slice(x, 0, 1, 2).Data == x.Data + 90);
        var clRows = F.Slice(cl, 0, 1, 2);
        Assert.True(clRows.Data == cl.Data + 90);
        Assert.Equal(MemoryFormat.ChannelsLast, clRows.Format);

        var lead = Tensor.Randn([1, 6, 4, 4], 2);
        Assert.True(F.Slice(lead, 1, 2, 3).Data == lead.Data + 32);

        var channels = F.Slice(cl, 1, 1, 2);
        Assert.Equal(MemoryFormat.ChannelsLast, channels.Format);
        Assert.Equal(x[2, 2, 3, 4], channels[2, 1, 3, 4]);
    }

    [Fact]
    public void SplitGivesRecordedPiecesWhoseGradientsMeet()
    {
        var x = RefTensor.Random([2, 6, 3, 3], 1);
        var pieces = new[] { RefShape.Slice(x, 1, 0, 1), RefShape.Slice(x, 1, 1, 2), RefShape.Slice(x, 1, 3, 3) };
        var reordered = new[] { pieces[2], pieces[0], pieces[1] };
        var expected = RefShape.Cat(reordered, 1);
        var gy = RefTensor.Random(expected.Shape, 2);
        var gp = RefShape.CatBackward(gy, reordered, 1);
        var gx = RefShape.SliceBackward(gp[1], x.Shape, 1, 0);
        foreach (var (g, s) in new[] { (gp[2], 1), (gp[0], 3) })
        {
            var part = RefShape.SliceBackward(g, x.Shape, 1, s);
            for (int i = 0; i < gx.Length; i++) gx.Data[i] += part.Data[i];
        }
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (y, grads) = Fast.ForwardBackward(t =>
            {
                var p = F.Split(t[0], [1, 2, 3], 1);
                return F.Cat([p[2], p[0], p[1]], 1);
            }, [x], gy, format);
            Check.Close(expected, y, what: $"split {format} y");
            Check.Close(gx, grads[0]!, what: $"split {format} grad x");
        }
    }

    [Fact]
    public void BadRangesAreRejectedWithTheShapeNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([4, 3, 5]);
        var ex = Assert.Throws<ArgumentException>(() => F.Slice(x, 1, 2, 2));
        Assert.Contains("[4, 3, 5]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Slice(x, 1, -1, 1));
        Assert.Throws<ArgumentException>(() => F.Slice(x, 1, 0, -1));
        Assert.Throws<ArgumentException>(() => F.Slice(x, 1, int.MaxValue, int.MaxValue));
        Assert.Throws<ArgumentException>(() => F.Slice(x, 3, 0, 1));
        ex = Assert.Throws<ArgumentException>(() => F.Split(x, [1, 1], 1));
        Assert.Contains("[1, 1]", ex.Message);
        Assert.Contains("[4, 3, 5]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Split(x, [4, -1], 1));
    }
}
