using ContextNets.IO;
using ContextNets.Tests.Data;

namespace ContextNets.Tests.Cli;

public sealed class TrainCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    /// <summary>Red "apple" and blue "sky" images (<see cref="ColourFolders"/>).</summary>
    private string ImageFolder(int trainPerClass, int valPerClass) => ColourFolders.Write(_tmp, trainPerClass, valPerClass, ColourFolders.Apple, ColourFolders.Sky);

    [Fact]
    public void TinyRunOnAnImageFolderCompletesAndWritesTheRunFolder()
    {
        string data = ImageFolder(12, 3), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --data {data} --epochs 1 --batch-size 8 --image-size 8 --out {run}", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("Test accuracy: ", stdout);
        Assert.Contains($"Run folder: {run}", stdout);
        Assert.Matches(@"epoch 1  train loss \d+\.\d+ acc", stdout);
        foreach (var f in new[] { "config.json", "metrics.csv", "chart.png", "last.json", "best.json" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} is missing");
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
        Assert.Single(Directory.GetFiles(run, "best-*.safetensors"));
        Assert.DoesNotContain("\u001b[", stdout);

        var eval = CliProcess.Run($"eval {run}", Ci);
        Assert.True(eval.exitCode == 0, eval.stderr);
        Assert.Matches(@"on 6 test images: loss \d+\.\d+, accuracy \d+\.\d\d%", eval.stdout);

        string image = Path.Combine(data, "val", "sky", "00.png");
        var predict = CliProcess.Run($"predict {run} {image}", Ci);
        Assert.True(predict.exitCode == 0, predict.stderr);
        var lines = predict.stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(image, lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\s+\d+\.\d\d%  (apple|sky)$", lines[1]);
        double total = lines[1..].Sum(l => double.Parse(l.Trim().Split('%')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(total, 99.98, 100.02);

        // A finished run resumes to nothing more and says so with its accuracy.
        var resumed = CliProcess.Run($"train --resume {run}", Ci);
        Assert.True(resumed.exitCode == 0, resumed.stderr);
        Assert.Contains("after 1 epochs", resumed.stdout);
    }

    [Fact]
    public void StopAtEndsTheRunAtTheFirstEpochThatReachesTheTarget()
    {
        string data = ImageFolder(12, 3), run = _tmp.File("run");
        // Any epoch reaches 1%: the 3-epoch schedule stops after its first epoch, with its checkpoints.
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --data {data} --epochs 3 --batch-size 8 --image-size 8 --stop-at 1 --out {run}", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("Stopped at epoch 1 of 3", stdout);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
        Assert.True(File.Exists(Path.Combine(run, "last.json")));

        var bad = CliProcess.Run($"train --model resnet20 --data {data} --stop-at 150 --out {_tmp.File("bad")}", Ci);
        Assert.Equal(2, bad.exitCode);
        Assert.Contains("--stop-at is a test accuracy in percent", bad.stderr);
        Assert.False(Directory.Exists(_tmp.File("bad")));
    }

    [Fact]
    public void DivergingRunStopsWithItsOwnExitCodeAndLeavesNoFolder()
    {
        string data = ImageFolder(12, 3), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --data {data} --epochs 2 --batch-size 8 --image-size 8 --lr 1e30 --out {run}", Ci);
        Assert.True(code == 4, $"exit {code}: {stderr}{stdout}");
        Assert.Contains("Training diverged at step", stderr);
        Assert.Contains("stopped before its first checkpoint", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(Directory.Exists(run), $"{run} was left behind");
    }

    [Fact]
    public async Task CtrlCStopsAtTheNextStepAndKeepsTheLastCheckpoint()
    {
        string data = ImageFolder(12, 3), run = _tmp.File("run");
        // A test runner started in the background by a non-interactive shell inherits SIGINT ignored, and .NET keeps
        // an inherited SIG_IGN: env gives the child the default disposition back, as an interactive terminal would.
        var psi = new System.Diagnostics.ProcessStartInfo("env",
            $"--default-signal=INT dotnet {Path.Combine(AppContext.BaseDirectory, "ctxnet.dll")} train --model resnet20 --data {data} --epochs 100000 --batch-size 8 --image-size 8 --out {run}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in Ci) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        try
        {
            var stderrTask = p.StandardError.ReadToEndAsync();
            var stdout = new System.Text.StringBuilder();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            // Wait for the first epoch's line: from then on a checkpoint exists.
            while (!stdout.ToString().Contains("epoch 1  train loss") && DateTime.UtcNow < deadline && await p.StandardOutput.ReadLineAsync() is { } line)
                stdout.AppendLine(line);
            Assert.Contains("epoch 1  train loss", stdout.ToString());
            using (var kill = System.Diagnostics.Process.Start("kill", $"-INT {p.Id}")!) kill.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            stdout.Append(await p.StandardOutput.ReadToEndAsync(timeout.Token));
            await p.WaitForExitAsync(timeout.Token);
            string stderr = await stderrTask;
            Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {stderr}");
            Assert.Contains("Interrupted.", stderr);
            Assert.Contains($"ctxnet train --resume {run}", stderr);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        var state = ContextNets.Training.Checkpoint.ReadState(run, "last");
        Assert.True(state.Epoch >= 1);
        Assert.Equal(state.Epoch, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length - 1);
    }

    private void AssertRefused((int exitCode, string stdout, string stderr) r, string run, params string[] phrases)
    {
        Assert.Equal(2, r.exitCode);
        foreach (var p in phrases) Assert.Contains(p, r.stderr);
        Assert.DoesNotContain("   at ", r.stderr);
        Assert.False(Directory.Exists(run), $"{run} was left behind");
    }

    [Fact]
    public void EmaAndDropBlockFlagsAreRecordedAndCheckedAsTheRunStarts()
    {
        string data = ImageFolder(12, 3), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --data {data} --epochs 1 --batch-size 8 --image-size 8 --ema 0.99 --drop-block 0.1 --out {run}", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains(", EMA 0.99, DropBlock 0.1", stdout);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        Assert.Equal(0.99, (double)config["trainer"]!["ema_decay"]!);
        Assert.Equal(0.1f, (float)config["drop_block"]!);

        foreach (var (flag, says) in new[] { ("--ema 1", "EMA decay"), ("--drop-block 1.5", "--drop-block is a probability") })
        {
            var bad = CliProcess.Run($"train --model resnet20 --data {data} --epochs 1 --batch-size 8 --image-size 8 {flag} --out {_tmp.File("bad")}", Ci);
            AssertRefused(bad, _tmp.File("bad"), says);
        }
    }

    [Fact]
    public void UnknownModelIsNamedWithTheKnownOnes()
    {
        string run = _tmp.File("run");
        AssertRefused(CliProcess.Run($"train --model resnet21 --out {run}", Ci), run, "Unknown model 'resnet21'", "gc_resnet20", "gcresnet50");
    }

    [Fact]
    public void UnknownTaskIsNamedWithTheKnownOnes()
    {
        string run = _tmp.File("run");
        AssertRefused(CliProcess.Run($"train --task classification --out {run}", Ci), run, "Unknown --task 'classification'", "classify");
    }

    [Theory]
    [InlineData("--clip-frames 8", "--task video")]
    [InlineData("--task video --seg-crop-size 64", "--task segment")]
    public void AnotherTasksOptionIsRefusedNotIgnored(string options, string says)
    {
        string run = _tmp.File("run");
        AssertRefused(CliProcess.Run($"train {options} --out {run}", Ci), run, "is an option of", says);
    }

    [Fact]
    public void MissingFashionMnistNamesTheAptPackage()
    {
        string run = _tmp.File("run"), empty = _tmp.File("no-dataset");
        Directory.CreateDirectory(empty);
        var env = new Dictionary<string, string>(Ci) { ["CTXNET_FASHION_MNIST"] = empty };
        AssertRefused(CliProcess.Run($"train --out {run}", env), run, "Fashion-MNIST was not found", "apt-get install dataset-fashion-mnist");
    }

    [Fact]
    public void EmptyClassFolderIsNamed()
    {
        string data = ImageFolder(4, 0), run = _tmp.File("run");
        Directory.CreateDirectory(Path.Combine(data, "train", "zebra"));
        AssertRefused(CliProcess.Run($"train --data {Path.Combine(data, "train")} --out {run}", Ci), run, "The class folder 'zebra'", "has no PNG or JPEG images");
    }

    [Fact]
    public void MissingDataFolderAndTooLargeBatchAreRefused()
    {
        string run = _tmp.File("run");
        AssertRefused(CliProcess.Run($"train --data {_tmp.File("nowhere")} --out {run}", Ci), run, "does not exist");
        string data = ImageFolder(3, 1);
        AssertRefused(CliProcess.Run($"train --data {data} --batch-size 64 --out {run}", Ci), run, "fewer than one batch of 64");
        AssertRefused(CliProcess.Run($"train --data {data} --aug sometimes --out {run}", Ci), run, "Unknown augmentation 'sometimes'");
        AssertRefused(CliProcess.Run($"train --data {data} --lr -1 --out {run}", Ci), run, "learning rate");
    }

    [Fact]
    public void ResumeRefusesNewSettingsAndMissingRuns()
    {
        var r = CliProcess.Run($"train --resume {_tmp.File("nothing")}", Ci);
        Assert.Equal(2, r.exitCode);
        Assert.Contains("does not exist", r.stderr);
        Directory.CreateDirectory(_tmp.File("started"));
        File.WriteAllText(_tmp.File("started/config.json"), "{}");
        r = CliProcess.Run($"train --resume {_tmp.File("started")} --lr 0.5", Ci);
        Assert.Equal(2, r.exitCode);
        Assert.Contains("leave out --lr", r.stderr);
    }

    [Fact]
    public void EvalAndPredictNeedARunFolder()
    {
        var r = CliProcess.Run($"eval {_tmp.Path}", Ci);
        Assert.Equal(2, r.exitCode);
        Assert.Contains("is not a run folder", r.stderr);
        r = CliProcess.Run($"predict {_tmp.Path} {_tmp.File("missing.png")}", Ci);
        Assert.Equal(2, r.exitCode);
        Assert.Contains("missing.png does not exist", r.stderr);
    }
}
