using ContextNets.Tests.Support;

namespace ContextNets.Tests;

[Collection(PoolCollection.Name)]
public class MemoryTests
{
    [Fact]
    public void TrainingStepsInScopesLeaveNoMemoryBehind()
    {
        long start = BufferPool.LiveBytes;
        var x = Tensor.Randn([2, 4, 8, 8], 1);
        var w = Tensor.Randn([6, 4, 3, 3], 2, 0.2f);
        var b = Tensor.Randn([6], 3);
        var shift = Tensor.Randn([1, 6, 1, 1], 4);
        foreach (var p in new[] { w, b, shift }) p.RequiresGrad = true;

        long steady = 0, allocationsAfterWarmUp = 0;
        for (int step = 1; step <= 2000; step++)
        {
            using (Tensor.Scope())
            {
                var loss = F.Mean(F.Conv2d(x, w, b, padding: 1) + shift);
                loss.Backward();
            }
            Assert.NotNull(w.Grad);
            foreach (var p in new[] { w, b, shift }) p.ZeroGrad();
            // The first steps may fill the pool and the weights' reorder cache; after that nothing may grow.
            if (step == 10) { steady = BufferPool.LiveBytes; allocationsAfterWarmUp = BufferPool.Allocations; }
            if (step > 10) Assert.Equal(steady, BufferPool.LiveBytes);
        }
        Assert.Equal(allocationsAfterWarmUp, BufferPool.Allocations);
        foreach (var t in new[] { x, w, b, shift }) t.Dispose();
        Assert.Equal(start, BufferPool.LiveBytes);
    }
}
