namespace ContextNets.Tests.Cli;

/// <summary>`ctxnet train --task detect` and `ctxnet eval` on a detection run refuse bad requests in one line, exit 2, leaving no run folder.</summary>
public sealed class DetectCommandTests : IDisposable
{
    private readonly ContextNets.Tests.Data.TempDir _tmp = new();

    [Theory]
    [InlineData("--mixup 0.2", "--task detect does not use --mixup")]
    [InlineData("--det-image-size 10", "--det-image-size 10 must be in [64, 1024]")]
    [InlineData("--model resnet50", "--model resnet50 is not a detector")]
    [InlineData("--det-train-scenes 0", "--det-train-scenes 0 and --det-val-scenes 100 must be at least 1")]
    [InlineData("--from-scratch --init body.safetensors", "--from-scratch and --init both say where the body starts")]
    [InlineData("--det-body-images 0", "--det-body-images must be at least 1, not 0")]
    [InlineData("--det-body-images 500 --from-scratch", "--det-body-images is for the body pretrained on Fashion-MNIST")]
    public void BadRequestsAreRefused(string options, string message)
    {
        string run = _tmp.File("run");
        var (code, _, stderr) = CliProcess.Run($"train --task detect {options} --out {run}");
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(Directory.Exists(run), $"{run} was left behind");
    }

    [Fact]
    public void EvalOfADetectionRunWithoutACheckpointSaysSo()
    {
        string run = _tmp.File("run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "detect.json"), "{\"Model\": \"maskrcnn_resnet18_fpn\"}");
        var (code, _, stderr) = CliProcess.Run($"eval {run}");
        Assert.Equal(2, code);
        Assert.Contains("has no checkpoint yet", stderr);
    }

    /// <summary>
    /// A run whose data cannot be opened (no Fashion-MNIST for the scenes, a malformed COCO file) fails before anything
    /// is written: no run folder, not even its detect.json.
    /// </summary>
    [Theory]
    [InlineData("scenes", "Fashion-MNIST")]
    [InlineData("coco", "instances.json")]
    public void AFailedStartLeavesNoRunFolder(string data, string message)
    {
        string run = _tmp.File("run"), empty = _tmp.File("empty");
        Directory.CreateDirectory(empty);
        File.WriteAllText(_tmp.File("instances.json"), "{\"images\": [");
        string option = data == "coco" ? $"--data coco:{_tmp.File("instances.json")}:{empty}" : "";
        var (code, _, stderr) = CliProcess.Run($"train --task detect {option} --out {run}", new() { ["CTXNET_FASHION_MNIST"] = empty });
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(run), $"{run} was left behind");
    }

    public void Dispose() => _tmp.Dispose();
}
