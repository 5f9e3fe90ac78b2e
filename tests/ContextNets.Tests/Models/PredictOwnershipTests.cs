using ContextNets.Models;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Models;

/// <summary>
/// A service's loop: Predict (and Run) with no scope open, each result disposed by its caller. Native memory must stay
/// flat after the first calls have filled the pool and the primitive caches.
/// </summary>
[Collection(PoolCollection.Name)]
public sealed class PredictOwnershipTests
{
    [Fact]
    public void ManyCallsWithoutAScopeKeepMemoryFlat()
    {
        using var model = Zoo.Create("gc_resnet20", seed: 3);
        model.Eval();
        using var ready = model.Prepare();
        using var images = Tensor.Randn([4, 1, 28, 28], seed: 4);
        long steady = 0;
        // The live bytes must not move by one buffer from call 11 on, so a leak in any call shows at the next one.
        for (int call = 1; call <= 120; call++)
        {
            using (var logits = ready.Predict(images)) Assert.Equal(new Shape(4, 10), logits.Shape);
            using (var outputs = (call % 2 == 0 ? (ContextNets.Models.Outputs.IOutputModel)ready : model).Run(images))
                Assert.Equal(new Shape(4, 10), outputs["logits"].Shape);
            if (call == 10) steady = BufferPool.LiveBytes;
            if (call > 10) Assert.Equal(steady, BufferPool.LiveBytes);
        }
    }

    [Fact]
    public void AResultOutlivesTheScopeAroundTheCallOnlyWhenRunGaveIt()
    {
        using var model = Zoo.Create("resnet20", seed: 5);
        model.Eval();
        using var ready = model.Prepare();
        using var images = Tensor.Randn([2, 1, 28, 28], seed: 6);
        Tensor predicted;
        ContextNets.Models.Outputs.ModelOutputs run;
        using (Tensor.Scope())
        {
            predicted = ready.Predict(images);
            run = ready.Run(images);
        }
        // Predict's result belongs to the scope open around the call; Run's collection to its caller alone.
        Assert.True(predicted.IsDisposed);
        using (run) Assert.False(run["logits"].IsDisposed);
    }

    [Fact]
    public void PredictLeavesNothingAllocatedOutsideTheCallersScope()
    {
        using var model = Zoo.Create("resnest14d", numClasses: 10);
        using var inference = model.Prepare();
        using var x = Tensor.Randn([2, 3, 64, 64], 5);
        for (int i = 0; i < 2; i++) Logits(inference, x);
        long steady = BufferPool.LiveBytes;
        for (int i = 0; i < 3; i++) Logits(inference, x);
        Assert.Equal(steady, BufferPool.LiveBytes);
    }

    private static float[] Logits(ContextNets.Models.Inference.InferenceModel inference, Tensor x)
    {
        using var scope = Tensor.Scope();
        return inference.Predict(x).ToArray();
    }
}
