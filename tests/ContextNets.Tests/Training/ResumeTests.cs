using ContextNets.Training;

namespace ContextNets.Tests.Training;

public sealed class ResumeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ctxnet-resume-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResumedRunContinuesBitIdentically(bool adamW)
    {
        const int k = 5, m = 6;
        Dictionary<string, int[]> uninterrupted, atCheckpoint;
        using (var run = new TinyRun(seed: 1, adamW))
        {
            run.Train(k);
            run.Save(_dir);
            atCheckpoint = run.Bits();
            run.Train(m);
            uninterrupted = run.Bits();
        }
        // Another process would start from other weights and another generator: both must be replaced by the checkpoint's.
        using var resumed = new TinyRun(seed: 2, adamW);
        Assert.NotEqual(atCheckpoint["model.conv1.weight"], resumed.Bits()["model.conv1.weight"]);
        resumed.Resume(_dir);
        Assert.Equal(k, resumed.Step);
        resumed.Train(m);
        var after = resumed.Bits();

        Assert.Equal(uninterrupted.Keys.Order(), after.Keys.Order());
        foreach (var (key, bits) in uninterrupted)
            Assert.True(bits.AsSpan().SequenceEqual(after[key]), $"{key} differs after resume");
        // The continuation did train: the state moved after the checkpoint.
        Assert.False(atCheckpoint["model.conv1.weight"].AsSpan().SequenceEqual(uninterrupted["model.conv1.weight"]));
        Assert.False(atCheckpoint["model.bn2.running_var"].AsSpan().SequenceEqual(uninterrupted["model.bn2.running_var"]));
    }

    [Fact]
    public void StateRoundTripsThroughTheCheckpoint()
    {
        using var run = new TinyRun(seed: 3, adamW: true);
        run.Train(2);
        var state = run.State();
        state.Epoch = 4;
        state.StepInEpoch = 17;
        state.Metrics["best_acc"] = 0.875;
        state.Config = new System.Text.Json.Nodes.JsonObject { ["model"] = "tiny", ["lr"] = 0.05 };
        Checkpoint.Save(_dir, "best", run.Model, state, run.Optimizer, run.Ema);
        var back = Checkpoint.Load(_dir, "best", run.Model, run.Optimizer, run.Ema);
        Assert.Equal(2, back.Step);
        Assert.Equal(4, back.Epoch);
        Assert.Equal(17, back.StepInEpoch);
        Assert.Equal(0.875, back.Metrics["best_acc"]);
        Assert.Equal("tiny", (string?)back.Config!["model"]);
        Assert.Equal(state.Rng["data"], back.Rng["data"]);
        Assert.IsType<CosineSchedule>(back.Schedule);
        Assert.Equal(run.Schedule.LrAt(17), back.Schedule!.LrAt(17));
        // The weights file alone is a plain state dict.
        var weights = ContextNets.IO.SafetensorsFile.Read(Checkpoint.ModelPath(_dir, "best"));
        Assert.Equal(run.Model.StateDict().Keys.Order(), weights.Keys.Order());
    }
}
