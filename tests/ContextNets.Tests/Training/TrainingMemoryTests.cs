using ContextNets.Tests.Support;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

[Collection(PoolCollection.Name)]
public class TrainingMemoryTests
{
    [Fact]
    public void OptimizerStepClipAndEmaAllocateNothing()
    {
        long start = BufferPool.LiveBytes;
        using (var run = new TinyRun(seed: 21, adamW: true))
        {
            run.Train(1);
            foreach (var p in run.Optimizer.Parameters())
            {
                p.Grad = Tensor.EmptyUnscoped(p.Shape);
                p.Grad.Span.Fill(0.01f);
            }
            void Update(long step)
            {
                run.Schedule.Apply(run.Optimizer, step);
                GradClip.ClipGlobalNorm(run.Optimizer, 1.0);
                run.Optimizer.Step();
                run.Ema.Update(run.Model);
            }
            for (int step = 0; step < 20; step++) Update(step);
            long live = BufferPool.LiveBytes, allocations = BufferPool.Allocations;
            long managed = GC.GetAllocatedBytesForCurrentThread();
            for (int step = 20; step < 3000; step++) Update(step);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - managed);
            Assert.Equal(live, BufferPool.LiveBytes);
            Assert.Equal(allocations, BufferPool.Allocations);
        }
        Assert.Equal(start, BufferPool.LiveBytes);
    }

    [Fact]
    public void TrainingStepsKeepNativeMemoryFlat()
    {
        long start = BufferPool.LiveBytes;
        using (var run = new TinyRun(seed: 22, adamW: false))
        {
            run.Train(10);
            long live = BufferPool.LiveBytes, allocations = BufferPool.Allocations;
            for (int i = 0; i < 30; i++)
            {
                run.Train(10);
                Assert.Equal(live, BufferPool.LiveBytes);
            }
            Assert.Equal(allocations, BufferPool.Allocations);
        }
        Assert.Equal(start, BufferPool.LiveBytes);
    }
}
