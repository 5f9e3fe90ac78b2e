namespace ContextNets.Tests.Ops;

/// <summary>
/// Large layout changes go through a oneDNN reorder and mixed-layout arithmetic reorders one operand first;
/// both must give exactly the values of the plain row-major computation.
/// </summary>
public class LayoutChangeTests
{
    [Fact]
    public void LargeLayoutChangesKeepEveryValue()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 24, 20, 18], 1);
        Assert.True(x.Numel >= 1 << 14);
        var cl = F.ToFormat(x, MemoryFormat.ChannelsLast);
        Assert.Equal(MemoryFormat.ChannelsLast, cl.Format);
        Assert.Equal(x.ToArray(), cl.ToArray());
        Assert.Equal(x.ToArray(), F.ToFormat(cl, MemoryFormat.Contiguous).ToArray());
    }

    [Fact]
    public void MixedLayoutArithmeticMatchesRowMajor()
    {
        using var scope = Tensor.Scope();
        var a = Tensor.Randn([2, 24, 20, 18], 1);
        var b = Tensor.Randn([2, 24, 20, 18], 2);
        var expected = F.Mul(a, b).ToArray();
        Assert.Equal(expected, F.Mul(F.ToFormat(a, MemoryFormat.ChannelsLast), b).ToArray());
        Assert.Equal(expected, F.Mul(a, F.ToFormat(b, MemoryFormat.ChannelsLast)).ToArray());
        Assert.Equal(MemoryFormat.ChannelsLast, F.Mul(F.ToFormat(a, MemoryFormat.ChannelsLast), b).Format);
    }
}
