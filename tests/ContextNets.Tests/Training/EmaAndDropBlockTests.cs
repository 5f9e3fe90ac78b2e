using System.Runtime.InteropServices;
using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Tests.Data;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>
/// The trainer's EMA (evaluated and kept as `best`) and the zoo ResNets' DropBlock (seeded per step by the trainer):
/// a run with both resumes bit-identically, the best checkpoint holds the averaged weights, and DropBlock drops in
/// training only.
/// </summary>
public sealed class EmaAndDropBlockTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static ResNet NewModel(int seed)
    {
        var model = Zoo.Create("resnet20", SyntheticImages.ClassCount, 3, seed);
        model.DropBlockRate = 0.2f;
        return model;
    }

    private static TrainerOptions Options(int epochs) => SyntheticImages.Options(epochs) with { EmaDecay = 0.9 };

    private static int[] Raw(Tensor t) => MemoryMarshal.Cast<float, int>(t.ToArray().AsSpan()).ToArray();

    private Dictionary<string, int[]> Train(string dir, int? stopAfter, bool resume, int seed)
    {
        using var model = NewModel(seed);
        var (train, test) = SyntheticImages.Loaders();
        using (train)
        using (test)
        using (var trainer = new Trainer(model, train, test, Options(3), dir))
        {
            if (resume) trainer.Resume();
            trainer.Fit(stopAfterEpoch: stopAfter);
        }
        return model.StateDict().ToDictionary(kv => kv.Key, kv => Raw(kv.Value));
    }

    [Fact]
    public void ARunWithEmaAndDropBlockResumesBitIdentically()
    {
        string whole = _tmp.File("whole"), split = _tmp.File("split");
        var expected = Train(whole, null, resume: false, seed: 1);
        Train(split, 1, resume: false, seed: 1);
        var resumed = Train(split, null, resume: true, seed: 42);
        foreach (var (key, bits) in expected) Assert.True(bits.AsSpan().SequenceEqual(resumed[key]), $"{key} differs after resume");
        foreach (var name in new[] { Trainer.Best, Trainer.Last })
        {
            using var a = NewModel(5);
            using var b = NewModel(6);
            Checkpoint.Load(whole, name, a);
            Checkpoint.Load(split, name, b);
            foreach (var (key, t) in a.StateDict()) Assert.Equal(Raw(t), Raw(b.StateDict()[key]));
        }
    }

    [Fact]
    public void TheBestCheckpointHoldsTheAveragedWeights()
    {
        string dir = _tmp.File("run");
        Train(dir, 1, resume: false, seed: 1);
        using var trained = NewModel(2);
        using var averaged = NewModel(3);
        using var twin = NewModel(4);
        using var ema = new ModelEma(twin);
        Checkpoint.Load(dir, Trainer.Last, trained, ema: ema);
        Checkpoint.Load(dir, Trainer.Best, averaged);
        bool differs = false;
        foreach (var (key, t) in averaged.StateDict())
        {
            Assert.Equal(Raw(ema.StateDict()[key]), Raw(t));
            differs |= !Raw(trained.StateDict()[key]).AsSpan().SequenceEqual(Raw(t));
        }
        Assert.True(differs, "The EMA equals the trained weights: the average was never taken.");
    }

    [Fact]
    public void DropBlockDropsInTrainingOnlyAndFollowsItsSeed()
    {
        using var model = NewModel(1);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = Tensor.Randn([2, 3, 8, 8], 9);
        model.Train();
        model.SeedNoise(5);
        var first = model.Forward(x).ToArray();
        model.SeedNoise(5);
        Assert.Equal(first, model.Forward(x).ToArray());
        model.SeedNoise(6);
        Assert.NotEqual(first, model.Forward(x).ToArray());

        model.Eval();
        var dropped = model.Forward(x).ToArray();
        model.DropBlockRate = 0;
        Assert.Equal(model.Forward(x).ToArray(), dropped);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.DropBlockRate = 1f);
    }
}
