using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using ContextNets.Data;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static SmallNet NewModel(int seed)
    {
        Initializers.Seed(seed);
        return new SmallNet();
    }

    private static Dictionary<string, int[]> Bits(Module model, Optimizer optimizer)
    {
        var all = new Dictionary<string, int[]>();
        foreach (var (k, t) in model.StateDict()) all["model." + k] = Raw(t);
        foreach (var (k, t) in optimizer.StateTensors()) all["optimizer." + k] = Raw(t);
        return all;
    }

    private static int[] Raw(Tensor t) => MemoryMarshal.Cast<float, int>(t.ToArray().AsSpan()).ToArray();

    /// <summary>Every metric but the timings, as metrics.csv prints them.</summary>
    private static string[] Curves(IEnumerable<EpochMetrics> rows) =>
        rows.Select(r => string.Join(",", MetricsCsv.Format(r).Split(',').Take(6))).ToArray();

    [Fact]
    public void ResumedRunContinuesBitIdentically()
    {
        string whole = _tmp.File("whole"), split = _tmp.File("split");
        Dictionary<string, int[]> expected;
        string[] expectedCurves;
        using (var model = NewModel(1))
        {
            var (train, test) = SyntheticImages.Loaders();
            using (train)
            using (test)
            using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(4), whole))
            {
                trainer.Fit();
                expected = Bits(model, trainer.Optimizer);
                expectedCurves = Curves(trainer.History);
                Assert.Equal(4 * 8, trainer.State.Step);
            }
        }

        using (var model = NewModel(1))
        {
            var (train, test) = SyntheticImages.Loaders();
            using (train)
            using (test)
            using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(4), split))
                Assert.Equal(2, trainer.Fit(stopAfterEpoch: 2).EpochsDone);
        }

        // As another process would: other initial weights, new loaders, new optimizer; the checkpoint replaces them all.
        using (var model = NewModel(99))
        {
            var (train, test) = SyntheticImages.Loaders();
            using (train)
            using (test)
            using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(4), split))
            {
                trainer.Resume();
                Assert.Equal(2, trainer.State.Epoch);
                Assert.Equal(16, trainer.State.Step);
                Assert.Equal(2, trainer.History.Count);
                var result = trainer.Fit();
                Assert.Equal(4, result.EpochsDone);
                var after = Bits(model, trainer.Optimizer);
                Assert.Equal(expected.Keys.Order(), after.Keys.Order());
                foreach (var (key, bits) in expected)
                    Assert.True(bits.AsSpan().SequenceEqual(after[key]), $"{key} differs after resume");
                Assert.Equal(expectedCurves, Curves(trainer.History));
                Assert.Equal(expectedCurves, Curves(MetricsCsv.Read(Path.Combine(split, MetricsCsv.FileName))));
            }
        }
        // The run learned something, so the comparison is not between two untrained nets.
        var rows = MetricsCsv.Read(Path.Combine(whole, MetricsCsv.FileName));
        Assert.True(rows[^1].TrainLoss < rows[0].TrainLoss, $"train loss {rows[0].TrainLoss} -> {rows[^1].TrainLoss}");
    }

    [Fact]
    public void StopAtAccuracyEndsAfterTheFirstEpochThatReachesIt()
    {
        double[] accuracies;
        using (var model = NewModel(1))
        {
            var (train, test) = SyntheticImages.Loaders();
            using (train)
            using (test)
            using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(4), _tmp.File("full")))
                accuracies = trainer.Fit().EpochsDone == 4 ? trainer.History.Select(r => r.TestAccuracy).ToArray() : [];
        }
        Assert.Equal(4, accuracies.Length);
        // A target first met before the last epoch ends the same run right there: same epochs, same accuracies.
        double target = accuracies.Take(3).Max();
        int expected = Array.FindIndex(accuracies, a => a >= target) + 1;
        using var again = NewModel(1);
        var (train2, test2) = SyntheticImages.Loaders();
        using (train2)
        using (test2)
        using (var trainer = new Trainer(again, train2, test2, SyntheticImages.Options(4), _tmp.File("stopped")))
        {
            var result = trainer.Fit(stopAtAccuracy: target);
            Assert.Equal(expected, result.EpochsDone);
            Assert.Equal(accuracies.Take(expected), trainer.History.Select(r => r.TestAccuracy));
        }
    }

    [Fact]
    public void ResumeRefusesAnotherRecipe()
    {
        string dir = _tmp.File("run");
        using (var model = NewModel(1))
        {
            var (train, test) = SyntheticImages.Loaders();
            using (train)
            using (test)
            using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(3), dir))
                trainer.Fit(stopAfterEpoch: 1);
        }
        using var other = NewModel(1);
        var (train2, test2) = SyntheticImages.Loaders(seed: 8);
        using (train2)
        using (test2)
        {
            using (var longer = new Trainer(other, train2, test2, SyntheticImages.Options(5), dir))
                Assert.Contains("schedule", Assert.Throws<InvalidDataException>(longer.Resume).Message);
            using var reseeded = new Trainer(other, train2, test2, SyntheticImages.Options(3), dir);
            var e = Assert.Throws<InvalidDataException>(reseeded.Resume);
            Assert.Contains("seed 7", e.Message);
            // A fresh start in a folder that holds a run would overwrite it.
            Assert.Throws<InvalidOperationException>(() => reseeded.Fit());
        }
    }

    /// <summary>SmallNet whose logits turn NaN from a given training step on.</summary>
    private sealed class PoisonedNet : Module
    {
        private readonly SmallNet _net;
        private readonly int _poisonAt;
        private int _steps;

        public PoisonedNet(int poisonAt)
        {
            Initializers.Seed(1);
            _net = Register("net", new SmallNet());
            _poisonAt = poisonAt;
        }

        public override Tensor Forward(Tensor x)
        {
            var y = _net.Forward(x);
            if (Training && _steps++ >= _poisonAt) y = F.Mul(y, Tensor.Scalar(float.NaN));
            return y;
        }
    }

    [Fact]
    public void NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint()
    {
        string dir = _tmp.File("run");
        var (train, test) = SyntheticImages.Loaders();
        using (train)
        using (test)
        using (var model = new PoisonedNet(poisonAt: 8 * 2 + 3))
        using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(4), dir))
        {
            var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit());
            Assert.Equal(19, e.Step);
            Assert.True(double.IsNaN(e.Loss));
            Assert.Contains("diverged at step 19", e.Message);
            Assert.Contains("Lower the learning rate", e.Message);
        }
        var state = Checkpoint.ReadState(dir, Trainer.Last);
        Assert.Equal(2, state.Epoch);
        Assert.Equal(16, state.Step);
        Assert.Equal(2, MetricsCsv.Read(Path.Combine(dir, MetricsCsv.FileName)).Count);
        // The kept checkpoint loads whole (sizes and digests checked) and holds finite weights.
        using var fresh = new PoisonedNet(int.MaxValue);
        var (train2, test2) = SyntheticImages.Loaders();
        using (train2)
        using (test2)
        using (var resumed = new Trainer(fresh, train2, test2, SyntheticImages.Options(4), dir))
        {
            resumed.Resume();
            foreach (var (key, t) in fresh.StateDict())
                Assert.True(t.ToArray().All(float.IsFinite), $"{key} is not finite in the kept checkpoint");
            Assert.Equal(4, resumed.Fit().EpochsDone);
        }
    }

    [Fact]
    public void RunFolderHoldsConfigMetricsChartAndCheckpoints()
    {
        string dir = _tmp.File("run");
        var (train, test) = SyntheticImages.Loaders();
        using (train)
        using (test)
        using (var model = NewModel(1))
        using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(2), dir, new JsonObject { ["model"] = "small" }))
        {
            var steps = new List<StepProgress>();
            var epochs = new List<EpochMetrics>();
            trainer.StepDone = steps.Add;
            trainer.EpochDone = epochs.Add;
            var result = trainer.Fit();
            Assert.Equal(16, steps.Count);
            Assert.Equal([1, 2], epochs.Select(m => m.Epoch));
            Assert.Equal(8, steps[7].Batch);
            Assert.Equal(epochs.Max(m => m.TestAccuracy), result.BestAccuracy);
        }

        var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.Equal("epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds,images_per_s", lines[0]);
        Assert.Equal(3, lines.Length);
        var rows = MetricsCsv.Read(Path.Combine(dir, "metrics.csv"));
        Assert.Equal([1, 2], rows.Select(r => r.Epoch));
        foreach (var r in rows)
        {
            Assert.InRange(r.TrainAccuracy, 0, 1);
            Assert.InRange(r.TestAccuracy, 0, 1);
            Assert.True(r.TrainLoss > 0 && r.TestLoss > 0 && r.Seconds > 0 && r.ImagesPerSecond > 0);
        }
        // The rate of each epoch's last update: step 7 of an 8-step warmup from 0.0005, then step 15, 7/8 down the cosine.
        Assert.Equal(0.0005 + (0.05 - 0.0005) * 7 / 8, rows[0].Lr, tolerance: 1e-8);
        Assert.Equal(0.5 * 0.05 * (1 + Math.Cos(Math.PI * 7 / 8)), rows[1].Lr, tolerance: 1e-7);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("small", (string?)config["model"]);
        Assert.Equal(2, (int)config["trainer"]!["epochs"]!);
        Assert.Equal(0.05, (double)config["trainer"]!["lr"]!);
        Assert.Equal(8, (int)config["batch_size"]!);
        Assert.Equal(7, (long)config["seed"]!);
        Assert.Equal(8, (int)config["steps_per_epoch"]!);
        Assert.Equal(TrainerOptions.FromJson(config["trainer"]!), SyntheticImages.Options(2));

        var chart = ImageDecoder.Load(Path.Combine(dir, "chart.png"));
        Assert.Equal((TrainingChart.Width, TrainingChart.Height), (chart.Width, chart.Height));
        Assert.True(Checkpoint.Exists(dir, Trainer.Last));
        Assert.True(Checkpoint.Exists(dir, Trainer.Best));
        Assert.Equal(2, Checkpoint.ReadState(dir, Trainer.Last).Epoch);
        // One generation per epoch; the previous one is gone. Best has no optimizer state.
        Assert.Equal(["last-000002.safetensors", "last-000002.train.safetensors"], Directory.GetFiles(dir, "last-*").Select(Path.GetFileName).Order());
        Assert.All(Directory.GetFiles(dir, "best-*"), f => Assert.DoesNotContain(".train.", f));
    }

    [Fact]
    public void EvaluateRestoresTheTrainingModeAndCountsTheArgmax()
    {
        using var model = NewModel(3);
        var (train, test) = SyntheticImages.Loaders();
        using (train)
        using (test)
        {
            model.Train();
            var r = Trainer.Evaluate(model, test);
            Assert.True(model.Training);
            Assert.Equal(20, r.Samples);
            Assert.True(double.IsFinite(r.Loss));
            // The same accuracy, counted by hand from the logits of each test sample alone.
            int correct = 0;
            model.Eval();
            using (ContextNets.Autograd.GradMode.NoGrad())
                for (int i = 0; i < 20; i++)
                    using (var batch = new DataLoader(test.Dataset, null, SyntheticImages.Normalize, new LoaderOptions { BatchSize = 1, Shuffle = false }).MakeBatch(0, i))
                    using (Tensor.Scope())
                    {
                        var logits = model.Forward(batch.Images).ToArray();
                        int best = Array.IndexOf(logits, logits.Max());
                        if (best == batch.Labels[0]) correct++;
                    }
            Assert.Equal(correct / 20.0, r.Accuracy, 12);
        }
    }

    [Fact]
    public void OptionsRejectBadValues()
    {
        Assert.Contains("epochs", Assert.Throws<ArgumentException>(() => (SyntheticImages.Options(2) with { Epochs = 0 }).Validate()).Message);
        Assert.Contains("optimizer 'lion'", Assert.Throws<ArgumentException>(() => (SyntheticImages.Options(2) with { Optimizer = "lion" }).Validate()).Message);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => (SyntheticImages.Options(2) with { Lr = double.NaN }).Validate()).Message);
        Assert.Contains("Warmup", Assert.Throws<ArgumentException>(() => (SyntheticImages.Options(2) with { WarmupEpochs = 2 }).Validate()).Message);
    }
}
