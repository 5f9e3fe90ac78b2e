using ContextNets.Tests.Support;

namespace ContextNets.Tests.Tensors;

[Collection(PoolCollection.Name)]
public unsafe class BufferPoolTests
{
    [Fact]
    public void DataIs64ByteAligned()
    {
        using var scope = Tensor.Scope();
        foreach (int n in new[] { 1, 3, 17, 100, 1000, 4097, 100_003 })
            Assert.Equal(0, (long)Tensor.Empty([n]).Data % BufferPool.Alignment);
    }

    [Fact]
    public void AFreedBlockIsReusedForTheNextTensorOfItsSizeClass()
    {
        long live = BufferPool.LiveBytes;
        var a = Tensor.Empty([1000]);
        long block = BufferPool.LiveBytes - live;
        Assert.InRange(block, 1000 * sizeof(float), 1000 * sizeof(float) * 3 / 2);
        float* p = a.Data;
        long pooled = BufferPool.PooledBytes;
        a.Dispose();
        Assert.Equal(live, BufferPool.LiveBytes);
        Assert.Equal(pooled + block, BufferPool.PooledBytes);

        long allocations = BufferPool.Allocations;
        var b = Tensor.Empty([990]);
        Assert.True(b.Data == p);
        Assert.Equal(allocations, BufferPool.Allocations);
        Assert.Equal(pooled, BufferPool.PooledBytes);
        b.Dispose();
        Assert.Equal(live, BufferPool.LiveBytes);
    }

    [Fact]
    public void MemoryGoesBackOnlyWhenTheLastViewLetsGo()
    {
        long live = BufferPool.LiveBytes;
        var x = Tensor.Ones([64, 16]);
        long block = BufferPool.LiveBytes - live;
        var view = x.Reshape(16, 64);
        var rows = F.Slice(x, 0, 8, 8);
        Assert.Equal(live + block, BufferPool.LiveBytes);
        x.Dispose();
        view.Dispose();
        Assert.Equal(live + block, BufferPool.LiveBytes);
        Assert.Equal(1f, rows[7, 15]);
        rows.Dispose();
        Assert.Equal(live, BufferPool.LiveBytes);
    }

    [Fact]
    public void APoolAtItsLimitFreesReturnedBlocksAndTrimEmptiesIt()
    {
        long limit = BufferPool.MaxPooledBytes;
        try
        {
            Tensor.Empty([5000]).Dispose();
            Assert.True(BufferPool.PooledBytes > 0);
            BufferPool.Trim();
            Assert.Equal(0, BufferPool.PooledBytes);
            BufferPool.MaxPooledBytes = 0;
            long allocations = BufferPool.Allocations;
            Tensor.Empty([5000]).Dispose();
            Assert.Equal(0, BufferPool.PooledBytes);
            Tensor.Empty([5000]).Dispose();
            Assert.Equal(allocations + 2, BufferPool.Allocations);
        }
        finally
        {
            BufferPool.MaxPooledBytes = limit;
        }
    }

    [Fact]
    public void ATensorLargerThanABufferIsRejectedBeforeAllocating()
    {
        long live = BufferPool.LiveBytes;
        Assert.Throws<ArgumentException>(() => Tensor.Empty([1 << 16, (1 << 14) + 1]));
        Assert.Equal(live, BufferPool.LiveBytes);
    }
}
