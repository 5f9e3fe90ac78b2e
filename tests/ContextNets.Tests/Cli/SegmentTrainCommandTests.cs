using ContextNets.Tests.Data;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet train --task segment` end to end on a few generated scenes at a small size: the run folder, `ctxnet eval`
/// reporting mIoU and pixel accuracy, `ctxnet segment` writing its PNGs at the image's size, --resume of a finished run, and the options a segmentation run refuses.
/// </summary>
public sealed class SegmentTrainCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "2" };
    private const string Tiny = "--task segment --epochs 1 --batch-size 4 --seg-train-scenes 4 --seg-val-scenes 2 --seg-base-size 48 --seg-crop-size 32 --seg-output-stride 16";

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void TrainsEvaluatesAndKnowsWhenItIsDone()
    {
        string run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train {Tiny} --out {run}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Contains("Val mIoU", stdout, StringComparison.Ordinal);
        // The default warmup (1 epoch) is cut to a quarter of this 1-epoch run rather than refused.
        Assert.Contains("warmup 0.25 epochs", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, "segment.json")) && File.Exists(Path.Combine(run, "last.json")) && File.Exists(Path.Combine(run, "metrics.csv")));

        (code, stdout, stderr) = CliProcess.Run($"eval {run}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"fcn_resnet18, checkpoint 'best' \(epoch 1\), on 2 val images at 48 px: mIoU \d+\.\d\d%, pixel accuracy \d+\.\d\d%", stdout);
        Assert.Contains("background", stdout, StringComparison.Ordinal);

        string image = _tmp.File("scene.png"), pictures = _tmp.File("pictures");
        var pixels = new byte[50 * 40 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7);
        ContextNets.IO.Png.Write(image, pixels, 50, 40, 3);
        (code, _, stderr) = CliProcess.Run($"segment {run} {image} --out {pictures}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        var classes = ContextNets.Data.ImageDecoder.Load(Path.Combine(pictures, "scene.classes.png"), 1);
        Assert.Equal((50, 40), (classes.Width, classes.Height));
        Assert.All(classes.Pixels, c => Assert.True(c < 11));
        Assert.Equal(3, ContextNets.Data.ImageDecoder.Load(Path.Combine(pictures, "scene.overlay.png"), 3).Channels);
        (code, _, stderr) = CliProcess.Run($"segment {run} {_tmp.File("missing.png")} --out {pictures}", Ci);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = CliProcess.Run($"train --resume {run}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Contains("has finished its 1 epochs", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFashionMnistLeavesNoRunFolder()
    {
        string run = _tmp.File("nodata"), empty = _tmp.File("empty");
        Directory.CreateDirectory(empty);
        var (code, _, stderr) = CliProcess.Run($"train {Tiny} --out {run}", new Dictionary<string, string>(Ci) { ["CTXNET_FASHION_MNIST"] = empty });
        Assert.Equal(2, code);
        Assert.Contains("Fashion-MNIST", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
    }

    [Theory]
    [InlineData("--mixup 0.2", "--task segment does not use --mixup")]
    [InlineData("--model resnet50", "trains a segmenter")]
    [InlineData("--data fashion-mnist", "'fashion-mnist' is neither")]
    [InlineData("--seg-schedule step", "poly or cosine")]
    [InlineData("--warmup-epochs 5", "shorter than the run")]
    [InlineData("--precision bf16", "--task segment does not use --precision")]
    public void RefusesWhatItCannotDoInOneLine(string option, string message)
    {
        string run = _tmp.File("refused");
        var (code, _, stderr) = CliProcess.Run($"train {Tiny} {option} --out {run}", Ci);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
    }
}
