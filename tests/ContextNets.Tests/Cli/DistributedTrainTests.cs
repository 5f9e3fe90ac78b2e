using System.Diagnostics;
using System.Text.Json.Nodes;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet train --distributed` under mpirun with two local ranks of one thread each, on a tiny image folder: the
/// ranks must train the model one process trains on the same global batches, repeat themselves bit for bit, stop
/// together when one of them dies or disagrees, and resume with another rank count.
/// </summary>
[Trait(Tier.Key, Tier.External)]
[Collection(MpiCollection.Name)]
public sealed class DistributedTrainTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> OneThread = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    /// <summary>8 steps of 16 images (4 per epoch over the first 64 of 96 training images, --subset), BatchNorm everywhere.</summary>
    private string Recipe(string data, int epochs = 2) =>
        $"train --model resnet20 --data {data} --image-size 8 --batch-size 16 --epochs {epochs} --warmup-epochs 0.5 --subset 64 --seed 3";

    private static void Succeeded((int exitCode, string stdout, string stderr) run, string what) =>
        Assert.True(run.exitCode == 0, $"{what} failed ({run.exitCode}): {run.stderr}\n{run.stdout}");

    [Fact]
    public void TwoRanksWithSyncBnTrainTheWeightsOfOneProcessAndRepeatThemBitForBit()
    {
        string data = DistributedData.ImageFolder(_tmp, trainPerClass: 32, valPerClass: 4);
        string single = _tmp.File("single"), first = _tmp.File("first"), second = _tmp.File("second");
        Succeeded(CliProcess.Run($"{Recipe(data)} --out {single}", OneThread), "one process");
        // Small buckets: the 0.27M parameters make many, so that several allreduces start during backward.
        var run = MpiJob.Run(2, $"{Recipe(data)} --distributed --sync-bn --bucket-mb 0.1 --out {first}");
        Succeeded(run, "2 ranks");
        Assert.Contains("Distributed: 2 ranks, 8 images each per step", run.stdout);
        Succeeded(MpiJob.Run(2, $"{Recipe(data)} --distributed --sync-bn --bucket-mb 0.1 --out {second}"), "2 ranks again");

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(first, "config.json")))!;
        Assert.Equal(64, (int)config["subset"]!);
        Assert.Equal(64, (int)config["train_samples"]!);
        Assert.Equal(4, (int)config["steps_per_epoch"]!);
        Assert.Equal(8, (long)Checkpoint.ReadState(first, Trainer.Last).Step);

        var expected = DistributedData.LastWeights(single);
        var actual = DistributedData.LastWeights(first);
        var again = DistributedData.LastWeights(second);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double worst = 0;
        string worstKey = "";
        foreach (var (key, values) in expected)
        {
            Assert.Equal(actual[key], again[key]);
            for (int i = 0; i < values.Length; i++)
            {
                double err = Math.Abs(values[i] - actual[key][i]) / (1e-5 + 1e-5 * Math.Abs(values[i]));
                if (err > worst) (worst, worstKey) = (err, $"{key}[{i}]: {actual[key][i]:G9} against {values[i]:G9}");
            }
        }
        Assert.True(worst <= 1, $"After 8 steps, {worstKey} differs by {worst:F2}x the tolerance (1e-5 + 1e-5 |w|).");
    }

    [Fact]
    public async Task ARankKilledWithSignal9StopsTheJobAndTheLastCheckpointStaysIntact()
    {
        string data = DistributedData.ImageFolder(_tmp, trainPerClass: 32, valPerClass: 4), run = _tmp.File("run");
        using var job = MpiJob.Start(MpiJob.Arguments((2, $"{Recipe(data, epochs: 200)} --distributed --out {run}")));
        var stdout = job.StandardOutput.ReadToEndAsync();
        var stderr = job.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!Checkpoint.Exists(run, Trainer.Last) && clock.Elapsed < TimeSpan.FromSeconds(90) && !job.HasExited) await Task.Delay(100);
        Assert.True(Checkpoint.Exists(run, Trainer.Last), $"no checkpoint after {clock.Elapsed.TotalSeconds:F0} s: {(job.HasExited ? await stderr : "")}");
        int rank1 = MpiJob.RankProcess(job, 1) ?? throw new InvalidOperationException("rank 1 is not among mpirun's children");

        Process.GetProcessById(rank1).Kill();
        clock.Restart();
        bool stopped = job.WaitForExit(30_000);
        if (!stopped) job.Kill(entireProcessTree: true);

        Assert.True(stopped, "the job still ran 30 s after rank 1 was killed");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Matches(@"rank 1 with PID \d+ .*exited on signal 9", (await stderr).ReplaceLineEndings(" "));
        Assert.True(Checkpoint.ReadState(run, Trainer.Last).Epoch >= 1);
        Assert.Contains("conv1.weight", DistributedData.LastWeights(run).Keys);
        var eval = CliProcess.Run($"eval {run}", OneThread);
        Assert.True(eval.exitCode == 0, eval.stderr + await stdout);
    }

    [Fact]
    public void RanksStartedWithDifferentConfigsAllStopAtTheStartAndSayWhatDiffers()
    {
        string data = DistributedData.ImageFolder(_tmp, trainPerClass: 22, valPerClass: 2), run = _tmp.File("run");
        var (code, stdout, stderr) = MpiJob.Run(MpiJob.Arguments(
            (1, $"{Recipe(data)} --distributed --lr 0.1 --out {run}"),
            (1, $"{Recipe(data)} --distributed --lr 0.05 --out {run}")), timeoutSeconds: 60);
        Assert.Equal(2, code);
        Assert.Contains("The ranks were started with different configurations: trainer.lr is 0.05 on rank 1 and 0.1 on rank 0.", stderr);
        Assert.DoesNotContain("Test accuracy", stdout);
        Assert.False(Directory.Exists(run), "a run folder was made");
    }

    /// <summary>A run checkpointed by one process continues on two ranks, and one made by two ranks on one process, to the same weights as a run never stopped.</summary>
    [Fact]
    public void ARunResumesWithAnotherNumberOfRanks()
    {
        string data = DistributedData.ImageFolder(_tmp, trainPerClass: 32, valPerClass: 4);
        string whole = _tmp.File("whole"), oneThenTwo = _tmp.File("one-then-two"), twoThenOne = _tmp.File("two-then-one");
        Succeeded(CliProcess.Run($"{Recipe(data)} --sync-bn --out {whole}", OneThread), "the whole run");
        Succeeded(CliProcess.Run($"{Recipe(data)} --sync-bn --stop-at 1 --out {oneThenTwo}", OneThread), "epoch 1 on one process");
        var resumed = MpiJob.Run(2, $"train --resume {oneThenTwo} --distributed");
        Succeeded(resumed, "epoch 2 on two ranks");
        Assert.Contains($"Resuming {oneThenTwo} after epoch 1 of 2", resumed.stdout);
        Succeeded(MpiJob.Run(2, $"{Recipe(data)} --sync-bn --stop-at 1 --distributed --out {twoThenOne}"), "epoch 1 on two ranks");
        Succeeded(CliProcess.Run($"train --resume {twoThenOne}", OneThread), "epoch 2 on one process");

        var expected = DistributedData.LastWeights(whole);
        foreach (var run in new[] { oneThenTwo, twoThenOne })
        {
            Assert.Equal(8, Checkpoint.ReadState(run, Trainer.Last).Step);
            var actual = DistributedData.LastWeights(run);
            foreach (var (key, values) in expected)
                for (int i = 0; i < values.Length; i++)
                    Assert.True(Math.Abs(values[i] - actual[key][i]) <= 1e-5 + 1e-5 * Math.Abs(values[i]),
                        $"{Path.GetFileName(run)}: {key}[{i}] is {actual[key][i]:G9}, the run never stopped has {values[i]:G9}");
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MpiCollection
{
    public const string Name = "mpirun jobs (each takes the machine's cores)";
}
