namespace ContextNets.Tests.Tensors;

public unsafe class TensorTests
{
    [Fact]
    public void ViewsShareMemoryAndOutliveTheirBase()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 3, 2);
        var alias = x.Alias();
        var rows = F.Slice(x, 0, 1, 2);
        Assert.True(alias.Data == x.Data);
        Assert.True(rows.Data == x.Data + 2);
        x.Dispose();
        Assert.True(x.IsDisposed);
        Assert.Equal([3f, 4, 5, 6], rows.ToArray());
        Assert.Equal(6f, alias[2, 1]);
        alias.Dispose();
        Assert.Equal(5f, rows[1, 0]);
        rows.Dispose();
    }

    [Fact]
    public void UseAfterDisposeThrows()
    {
        var x = Tensor.Ones([2, 2]);
        x.Dispose();
        x.Dispose();
        Assert.Throws<ObjectDisposedException>(() => x.ToArray());
        Assert.Throws<ObjectDisposedException>(() => x[0, 0]);
        var one = Tensor.Ones([1]);
        one.Dispose();
        Assert.Throws<ObjectDisposedException>(() => one.Item());
        Assert.Throws<ObjectDisposedException>(() => x.Alias());
        Assert.Throws<ObjectDisposedException>(() => x.Reshape(4));
        using var scope = Tensor.Scope();
        Assert.Throws<ObjectDisposedException>(() => F.Add(Tensor.Ones([2, 2]), x));
    }

    [Fact]
    public void ChannelsLastStoresChannelsInnermostButReadsInLogicalOrder()
    {
        using var scope = Tensor.Scope();
        var values = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(i => (float)i).ToArray();
        var x = Tensor.FromArray(values, 2, 3, 2, 2);
        var cl = F.ToFormat(x, MemoryFormat.ChannelsLast);
        Assert.Equal(MemoryFormat.ChannelsLast, cl.Format);
        Assert.False(cl.IsContiguous);
        Assert.Equal([12, 1, 6, 3], cl.Strides.ToArray());
        Assert.Equal(values, cl.ToArray());
        // Memory order N, H, W, C: the first pixel's three channels come first.
        Assert.Equal([0f, 4, 8, 1, 5, 9], cl.Span[..6].ToArray());
        Assert.Equal(x[1, 2, 1, 0], cl[1, 2, 1, 0]);
    }

    [Fact]
    public void IndexerReadsLogicalPositionsAndChecksThem()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(6f, x[1, 2]);
        Assert.Equal(2f, x[0, 1]);
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => x[1]).Message);
        Assert.Throws<IndexOutOfRangeException>(() => x[2, 0]);
        Assert.Throws<IndexOutOfRangeException>(() => x[0, -1]);
        Assert.Equal(7f, Tensor.Scalar(7f)[Array.Empty<int>()]);
    }

    [Fact]
    public void CreationChecksItsInputs()
    {
        using var scope = Tensor.Scope();
        Assert.Contains("[2, 2]", Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2, 3], 2, 2)).Message);
        Assert.Contains("[2]", Assert.Throws<InvalidOperationException>(() => Tensor.Ones([2]).Item()).Message);
        Assert.Throws<ArgumentException>(() => Tensor.Empty([2, 3], MemoryFormat.ChannelsLast));
        Assert.Equal(Tensor.Randn([5], 3).ToArray(), Tensor.Randn([5], 3).ToArray());
        Assert.All(Tensor.Uniform([100], 1, -2f, 3f).ToArray(), v => Assert.InRange(v, -2f, 3f));
        Assert.Equal([4f, 4], Tensor.Full([2], 4f).ToArray());
    }
}
