using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public unsafe class ReshapeTests
{
    private static readonly MemoryFormat[] Formats = [MemoryFormat.Contiguous, MemoryFormat.ChannelsLast];

    public static TheoryData<int[], int[], int[]> Cases => new()
    {
        // input shape, requested shape, the shape that request means
        { [2, 3, 4, 5], [6, -1], [6, 20] },
        { [2, 3, 4, 5], [-1], [120] },
        { [2, 3, 4, 5], [5, 4, 3, 2], [5, 4, 3, 2] },
        { [2, 6, 1, 1], [2, 6], [2, 6] },
        { [3, 4], [2, -1, 6], [2, 1, 6] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] from, int[] request, int[] to)
    {
        _ = request;
        var x = RefTensor.Random(from, 1);
        var gy = RefTensor.Random(to, 2);
        var gx = RefShape.Reshape(gy, from);
        GradCheck.Verify(v => RefShape.Reshape(v[0], to), [x], gy, [gx], "reshape");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int[] from, int[] request, int[] to)
    {
        foreach (var format in Formats)
        {
            var x = RefTensor.Random(from, 1);
            var gy = RefTensor.Random(to, 2);
            var (y, grads) = Fast.ForwardBackward(t => F.Reshape(t[0], request), [x], gy, format);
            Check.Close(RefShape.Reshape(x, to), y, what: $"reshape {format} y");
            Check.Close(RefShape.Reshape(gy, from), grads[0]!, what: $"reshape {format} grad x");
        }
    }

    [Fact]
    public void RowMajorInputGivesAViewOtherLayoutsACopy()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 3, 4, 5], 1);
        var v = x.Reshape(6, 20);
        Assert.True(v.Data == x.Data);
        Assert.Equal(x.ToArray(), v.ToArray());

        var cl = F.ToFormat(x, MemoryFormat.ChannelsLast);
        var c = F.Reshape(cl, 2, 60);
        Assert.False(c.Data == cl.Data);
        Assert.True(c.IsContiguous);
        Assert.Equal(x.ToArray(), c.ToArray());
    }

    [Fact]
    public void AViewOutlivesItsBase()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3);
        var v = x.Reshape(3, 2);
        x.Dispose();
        Assert.Equal([1f, 2, 3, 4, 5, 6], v.ToArray());
        Assert.Equal(4f, v[1, 1]);
        v.Dispose();
    }

    [Fact]
    public void BadShapesAreRejectedWithBothShapesNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4, 5]);
        var ex = Assert.Throws<ArgumentException>(() => F.Reshape(x, 7, 17));
        Assert.Contains("[7, 17]", ex.Message);
        Assert.Contains("[2, 3, 4, 5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Reshape(x, 7, -1));
        Assert.Contains("[7, -1]", ex.Message);
        Assert.Contains("[2, 3, 4, 5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Reshape(x, -1, -1));
        Assert.Contains("[-1, -1]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Reshape(x, 2, -3, 20));
        Assert.Throws<ArgumentException>(() => F.Reshape(x, 65536, 65536, 65536, 65536, 120));
        Assert.Throws<ArgumentException>(() => F.Reshape(Tensor.Zeros([0, 3]), 0, -1));
    }

    [Fact]
    public void ToFormatChangesTheLayoutAndPassesTheGradientThrough()
    {
        var x = RefTensor.Random([2, 3, 4, 5], 1);
        var gy = RefTensor.Random([2, 3, 4, 5], 2);
        foreach (var format in Formats)
        {
            var (y, grads) = Fast.ForwardBackward(t => F.ToFormat(t[0], format), [x], gy, format);
            Check.Close(x, y, what: "to_format y");
            Check.Close(gy, grads[0]!, what: "to_format grad x");
            (y, grads) = Fast.ForwardBackward(t => F.Contiguous(t[0]), [x], gy, format);
            Check.Close(x, y, what: "contiguous y");
            Check.Close(gy, grads[0]!, what: "contiguous grad x");
        }
        using var scope = Tensor.Scope();
        var t = x.ToTensor();
        var cl = F.ToFormat(t, MemoryFormat.ChannelsLast);
        Assert.Equal(MemoryFormat.ChannelsLast, cl.Format);
        Assert.True(F.ToFormat(cl, MemoryFormat.ChannelsLast).Data == cl.Data);
        Assert.True(F.Contiguous(t).Data == t.Data);
        var back = F.Contiguous(cl);
        Assert.True(back.IsContiguous);
        Assert.Equal(t.ToArray(), back.ToArray());
    }

    [Fact]
    public void ChannelsLastNeedsFourOrFiveDimensions()
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.ToFormat(Tensor.Zeros([2, 3, 4]), MemoryFormat.ChannelsLast));
        Assert.Contains("[2, 3, 4]", ex.Message);
        // A clip [N, C, D, H, W] goes to N, D, H, W, C.
        var clip = F.ToFormat(Tensor.Randn([2, 3, 4, 5, 6], 1), MemoryFormat.ChannelsLast);
        Assert.Equal([360, 1, 90, 18, 3], clip.Strides.ToArray());
        Assert.Equal(MemoryFormat.ChannelsLast, clip.Format);
    }
}
