using ContextNets.Tests.Data;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>
/// What used to end training badly: a stack trace on a full disk, a stranded run folder after a kill during the first
/// save, a divergence message that contradicted itself, an exploding loss taken for success, a one-class dataset
/// trained to "100%" without a word.
/// </summary>
public sealed class TrainRefusalTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    private string Train(string data, string rest) => $"train --model resnet20 --data {data} --batch-size 8 --image-size 8 {rest}";

    [Fact]
    public void AVideoNetworkIsRefusedForImagesWithWhereItRuns()
    {
        var (code, _, stderr) = CliProcess.Run($"train --model r3d_18 --out {_tmp.File("run")}", Ci);
        Assert.Equal(2, code);
        Assert.Contains("r3d_18 is a video network", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void DivergenceSaysOnceWhatWasKept()
    {
        string run = _tmp.File("run");
        var (code, _, stderr) = CliProcess.Run(Train(ColourFolders.Write(_tmp, 12, 3, ColourFolders.Apple, ColourFolders.Sky), $"--epochs 2 --lr 1e30 --out {run}"), Ci);
        Assert.Equal(4, code);
        Assert.Contains("Training diverged at step", stderr);
        Assert.Contains("Nothing was kept", stderr);
        Assert.DoesNotContain("checkpoint is kept", stderr);
    }

    [Fact]
    public void AnExplodingButFiniteLossStopsTheRun()
    {
        string run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run(Train(ColourFolders.Write(_tmp, 12, 3, ColourFolders.Apple, ColourFolders.Sky), $"--epochs 2 --optimizer adamw --lr 1e6 --out {run}"), Ci);
        Assert.True(code == 4, $"exit {code}: {stderr}{stdout}");
        Assert.Contains("the loss exploded", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void OneClassIsWarnedAbout()
    {
        string run = _tmp.File("run");
        var (code, _, stderr) = CliProcess.Run(Train(ColourFolders.Write(_tmp, 12, 3, ColourFolders.Apple), $"--epochs 1 --out {run}"), Ci);
        Assert.True(code == 0, stderr);
        Assert.Contains("warning: the training data has one class ('apple')", stderr);
    }

    [Fact]
    public void ARunKilledDuringItsFirstSaveCanBeResumedOrTrainedInto()
    {
        string data = ColourFolders.Write(_tmp, 12, 3, ColourFolders.Apple, ColourFolders.Sky), run = _tmp.File("run");
        foreach (string how in new[] { $"--resume {run}", $"--epochs 1 --out {run}" })
        {
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
            var first = CliProcess.Run(Train(data, $"--epochs 1 --out {run}"), Ci);
            Assert.True(first.exitCode == 0, first.stderr);
            Strand(run);

            var (code, stdout, stderr) = CliProcess.Run(how.StartsWith("--resume", StringComparison.Ordinal) ? $"train {how}" : Train(data, how), Ci);
            Assert.True(code == 0, $"{how}: exit {code}\n{stderr}{stdout}");
            Assert.Contains("stopped before its first checkpoint was saved", stdout);
            Assert.Equal(1, Checkpoint.ReadState(run, Trainer.Last).Epoch);
            Assert.Empty(Directory.GetFiles(run, ".*.tmp"));
        }
    }

    /// <summary>What a SIGKILL between the `best` and the `last` save of epoch 1 leaves: no last.json, a save's temporary.</summary>
    private static void Strand(string run)
    {
        foreach (var f in Directory.GetFiles(run, "last*")) File.Delete(f);
        File.WriteAllBytes(Path.Combine(run, $".last-000001.safetensors.4242.{Guid.NewGuid():N}.tmp"), new byte[100]);
        Assert.False(Checkpoint.Exists(run, Trainer.Last));
    }

    [Fact]
    public void AFullDiskDuringTheFirstEpochIsOneLine()
    {
        string mount = Directory.CreateDirectory(_tmp.File("disk")).FullName, run = Path.Combine(mount, "run");
        var (code, _, stderr) = FullDisk.Run(mount, 96, Train(ColourFolders.Write(_tmp, 12, 3, ColourFolders.Apple, ColourFolders.Sky), $"--epochs 1 --out {run}"), env: Ci);
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Equal($"{run}: the disk is full; no checkpoint had been saved yet, and {run} was removed.", stderr.Trim());
    }

    [Fact]
    public void AFullDiskDuringAResumeNamesTheIntactCheckpoint()
    {
        string data = ColourFolders.Write(_tmp, 12, 3, ColourFolders.Apple, ColourFolders.Sky), run = _tmp.File("run"), after = _tmp.File("after");
        var first = CliProcess.Run(Train(data, $"--epochs 3 --out {run}") + " --stop-at 0.001", Ci);
        Assert.True(first.exitCode == 0, first.stderr);
        long used = Directory.GetFiles(run).Sum(f => new FileInfo(f).Length);
        string mount = Directory.CreateDirectory(_tmp.File("disk")).FullName, moved = Path.Combine(mount, "run");
        // Room for the run as it is and a little more, not for the next epoch's checkpoints.
        var (code, _, stderr) = FullDisk.Run(mount, (int)(used / 1024) + 64, $"train --resume {moved}",
            before: $"cp -r '{run}' '{moved}'", after: $"cp -r '{moved}' '{after}'", env: Ci);
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Equal($"{moved}: the disk is full; its checkpoint of epoch 1 is intact; free some space and continue with: ctxnet train --resume {moved}.", stderr.Trim());
        Assert.Equal(1, Checkpoint.ReadState(after, Trainer.Last).Epoch);
    }
}
