using System.Diagnostics;
using ContextNets.Data;
using ContextNets.Data.Clips;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using ContextNets.Training;
using Xunit.Abstractions;

namespace ContextNets.Tests.Training;

/// <summary>
/// A long clip-training run, as `ctxnet train --task video` makes it (the Trainer on loaders of generated clips,
/// i3d_small_nl, AdamW, an evaluation and two checkpoints per epoch), keeps native memory flat: after the first
/// epochs, the tensors alive and the pool's blocks are the same at the end of every epoch, and no new block is
/// allocated. The process RSS is reported alongside.
/// </summary>
[Collection(PoolCollection.Name)]
public sealed class ClipTrainingMemoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void NinetySixClipStepsThroughTheTrainerKeepNativeMemoryFlat()
    {
        const int epochs = 12, warmup = 3;
        var train = new GeneratedClips(new MovingItemClips(new SquareItems(16, 4, 6, 60, 50), 16, seed: 1, frames: 4, side: 24));
        var test = new GeneratedClips(new MovingItemClips(new SquareItems(16, 4, 6, 60, 50), 4, seed: 2, frames: 4, side: 24));
        Initializers.Seed(1);
        using var model = VideoZoo.Create("i3d_small_nl", numClasses: 4, inChannels: 1, seed: 1);
        using var trainLoader = new DataLoader(train, new LoaderOptions { BatchSize = 2, DropLast = true, Seed = 1 });
        using var testLoader = new DataLoader(test, new LoaderOptions { BatchSize = 2, Shuffle = false });
        var options = new TrainerOptions { Epochs = epochs, Optimizer = "adamw", Lr = 1e-3, WeightDecay = 0.05, WarmupEpochs = 0.5 };
        using var trainer = new Trainer(model, trainLoader, testLoader, options, _tmp.File("run"));
        var live = new List<long>();
        var pooled = new List<long>();
        var allocations = new List<long>();
        var rss = new List<long>();
        trainer.EpochDone = _ =>
        {
            live.Add(BufferPool.LiveBytes);
            pooled.Add(BufferPool.PooledBytes);
            allocations.Add(BufferPool.Allocations);
            using var self = Process.GetCurrentProcess();
            rss.Add(self.WorkingSet64);
        };
        trainer.Fit();

        Assert.Equal(epochs * trainLoader.BatchCount, trainer.State.Step);
        output.WriteLine($"{trainer.State.Step} steps; live {live[warmup]} -> {live[^1]} bytes, pooled {pooled[warmup]} -> {pooled[^1]}, " +
                         $"allocations {allocations[warmup]} -> {allocations[^1]}, RSS {rss[warmup] >> 20} -> {rss[^1] >> 20} MiB");
        for (int e = warmup; e < epochs; e++)
        {
            Assert.Equal(live[warmup], live[e]);
            Assert.Equal(pooled[warmup], pooled[e]);
            Assert.Equal(allocations[warmup], allocations[e]);
        }
    }
}
