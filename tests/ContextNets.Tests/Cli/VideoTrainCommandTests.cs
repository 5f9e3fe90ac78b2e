using ContextNets.Tests.Data;
using ContextNets.Tests.Data.Clips;

namespace ContextNets.Tests.Cli;

/// <summary>`ctxnet train --task video`, and eval, predict and --resume on its run folders, on tiny clips.</summary>
public sealed class VideoTrainCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    /// <summary>train/ and val/ with two classes of ramp clips (<see cref="ClipFolderTests.WriteClip"/>).</summary>
    private string ClipFolders()
    {
        foreach (var (split, clips) in new[] { ("train", 4), ("val", 2) })
            foreach (var clas in new[] { "left", "right" })
                for (int i = 0; i < clips; i++) ClipFolderTests.WriteClip(_tmp, Path.Combine("clips", split, clas), $"clip{i}", 6);
        return _tmp.File("clips");
    }

    [Fact]
    public void AClipFolderRunTrainsEvaluatesPredictsAndResumes()
    {
        string data = ClipFolders(), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --task video --model c2d_small --data {data} --clip-frames 4 --clip-stride 1 --clip-size 16 --epochs 2 --batch-size 4 --out {run}", Ci, 180);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("clips 3x4x16x16, 2 classes", stdout);
        Assert.Matches(@"epoch 2  train loss \d+\.\d+ acc", stdout);
        foreach (var f in new[] { "config.json", "metrics.csv", "chart.png", "last.json", "best.json" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} is missing");
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);

        var eval = CliProcess.Run($"eval {run} --checkpoint last", Ci, 120);
        Assert.True(eval.exitCode == 0, eval.stderr);
        Assert.Matches(@"c2d_small, checkpoint 'last' \(epoch 2\), on 4 test clips: loss \d+\.\d+, accuracy \d+\.\d\d%", eval.stdout);

        string clip = Path.Combine(data, "val", "right", "clip1");
        var predict = CliProcess.Run($"predict {run} {clip}", Ci, 120);
        Assert.True(predict.exitCode == 0, predict.stderr);
        var lines = predict.stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([clip], lines[..1]);
        Assert.Equal(3, lines.Length);
        double total = lines[1..].Sum(l => double.Parse(l.Trim().Split('%')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(total, 99.98, 100.02);

        var resumed = CliProcess.Run($"train --resume {run}", Ci, 120);
        Assert.True(resumed.exitCode == 0, resumed.stderr);
        Assert.Contains("Resuming", resumed.stdout);
        Assert.Contains("after 2 epochs", resumed.stdout);
    }

    [Fact]
    public void TheGeneratedClipsTrainByDefault()
    {
        string run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --task video --model c2d_small --clip-count 16 --epochs 1 --batch-size 8 --out {run}", Ci, 180);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("16 training and 4 test moving-item clips (8 frames, 48x48", stdout);
        Assert.Contains("clips 1x8x48x48, 10 classes", stdout);
    }

    [Theory]
    [InlineData("--mixup 0.2", "--task video does not use --mixup")]
    [InlineData("--model resnet50", "trains a video network")]
    [InlineData("--clip-stride 2", "--clip-stride and --clip-size sample clip folders")]
    [InlineData("--clip-frames 0", "--clip-frames must be at least 1")]
    [InlineData("--precision bf16", "--precision bf16 is not available for video networks")]
    [InlineData("--data /nonexistent-clips", "neither 'moving-fashion-mnist' nor a clip folder")]
    public void BadOptionsAreRefusedInOneLine(string args, string message)
    {
        string run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --task video {args} --out {run}", Ci);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(run), stdout);
    }

    [Fact]
    public void AFolderWithAShortClipIsRefusedBeforeTraining()
    {
        string data = ClipFolders(), run = _tmp.File("run");
        var (code, _, stderr) = CliProcess.Run($"train --task video --model c2d_small --data {data} --clip-frames 4 --clip-stride 2 --clip-size 16 --out {run}", Ci, 120);
        Assert.Equal(2, code);
        Assert.Contains("has 6 frames, fewer than the 7 that 4 frames at stride 2 need", stderr);
        Assert.False(Directory.Exists(run));
    }

    /// <summary>
    /// A clip folder without val/ holds out every 10th clip of each class, counting back from its last (at least one
    /// of a class of two or more): of 3 clips a class, clip2 of each is held out, the same clips on every run.
    /// </summary>
    [Fact]
    public void AFolderWithoutValHoldsTheLastClipOfEachClassOut()
    {
        foreach (var clas in new[] { "left", "right" })
            for (int i = 0; i < 3; i++) ClipFolderTests.WriteClip(_tmp, Path.Combine("clips", clas), $"clip{i}", 4);
        string run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --task video --model c2d_small --data {_tmp.File("clips")} --clip-frames 4 --clip-stride 1 --clip-size 16 --epochs 1 --batch-size 2 --out {run}", Ci, 180);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"Data: 6 clips in 2 classes under {_tmp.File("clips")}; 2 of them held out for testing (every 10th of each class)", stdout);
        Assert.Matches(@"test loss \d+\.\d+ acc (0|50|100)\.00%", stdout);
        var int8 = CliProcess.Run($"predict {run} {_tmp.File("clips/left/clip0")} --precision int8", Ci);
        Assert.Equal(2, int8.exitCode);
        Assert.Contains("--precision int8 is not available for video networks", int8.stderr);

        foreach (var clas in new[] { "up", "down" }) ClipFolderTests.WriteClip(_tmp, Path.Combine("single", clas), "only", 4);
        var single = CliProcess.Run($"train --task video --model c2d_small --data {_tmp.File("single")} --clip-frames 4 --clip-stride 1 --clip-size 16 --out {_tmp.File("run2")}", Ci);
        Assert.Equal(2, single.exitCode);
        Assert.Contains("has too few clips to hold a test set out (every class has one clip)", single.stderr);
        Assert.False(Directory.Exists(_tmp.File("run2")));
    }
}
