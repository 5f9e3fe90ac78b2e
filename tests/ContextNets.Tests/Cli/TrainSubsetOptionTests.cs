using ContextNets.Tests.Data;

namespace ContextNets.Tests.Cli;

/// <summary>--subset and the distributed options refuse bad values with one line and exit code 2, leaving nothing behind.</summary>
public sealed class TrainSubsetOptionTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("--subset 0", "--subset must be at least 1 image, not 0.")]
    [InlineData("--subset 1000", "--subset 1000 is more than the 12 training images.")]
    [InlineData("--bucket-mb 5", "--bucket-mb applies to --distributed runs only.")]
    public void BadValuesAreOneLineAndExitCode2(string option, string message)
    {
        string data = DistributedData.ImageFolder(_tmp, trainPerClass: 4, valPerClass: 1), run = _tmp.File("run");
        var (code, _, stderr) = CliProcess.Run($"train --model resnet20 --data {data} --image-size 8 --batch-size 4 {option} --out {run}", Ci);
        Assert.Equal(2, code);
        Assert.Equal(message, stderr.Trim());
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void AResumeTakesTheSubsetFromTheRunAndRefusesANewOne()
    {
        var (code, _, stderr) = CliProcess.Run($"train --resume {_tmp.Path} --subset 10", Ci);
        Assert.Equal(2, code);
        Assert.Contains("leave out --subset", stderr);
    }
}
