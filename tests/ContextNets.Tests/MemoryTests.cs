using ContextNets.Attention;
using ContextNets.NN;
using ContextNets.Tests.Support;
using ContextNets.Training;

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

    [Fact]
    public void ClipTrainingStepsKeepMemoryFlat()
    {
        // A clip network in miniature: every 3-D op, an NL block over the clip, SGD updating the weights (so the
        // conv weights' reorder cache turns over every step), 300 steps.
        using var net = new Sequential(
            new ContextNets.NN.Conv3d(3, 8, (3, 3, 3), padding: (1, 1, 1), bias: false), new BatchNorm3d(8), Lambda.Relu(),
            new MaxPool3d((1, 2, 2)), new NonLocal(8, subSample: true, norm: true), new GlobalAvgPool3d());
        using var optimizer = Sgd.For(net, 0.01, momentum: 0.9);
        var x = Tensor.Randn([2, 3, 4, 8, 8], 1);
        long steady = 0, allocationsAfterWarmUp = 0;
        for (int step = 1; step <= 300; step++)
        {
            using (Tensor.Scope()) F.Mean(net.Forward(x)).Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
            if (step == 10) { steady = BufferPool.LiveBytes; allocationsAfterWarmUp = BufferPool.Allocations; }
            if (step > 10) Assert.Equal(steady, BufferPool.LiveBytes);
        }
        Assert.Equal(allocationsAfterWarmUp, BufferPool.Allocations);
        x.Dispose();
    }
}
