using ContextNets.IO;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet run` on clips: the case file's `x` [1, 3, 4, 32, 32] through a video network loaded from PyTorch's state
/// dict gives `logits` within 1e-4 of PyTorch's (<see cref="Logits"/>); weights of another network are refused with exit 2.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class VideoRunParityTests(VideoCases cases, ITestOutputHelper output) : IClassFixture<VideoCases>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-video-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("r3d_18")]
    [InlineData("i3d_resnet50_nl5")]
    public void LogitsMatchPyTorch(string name)
    {
        var (weights, io) = cases.Get(name, 32);
        string result = Path.Combine(_dir, name + ".safetensors");
        var (code, _, stderr) = CliProcess.Run($"run {name} --weights {weights} --input {io} --output {result}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        var file = SafetensorsFile.Read(result);
        Assert.Equal(["logits"], file.Keys);
        using var logits = file.Load("logits");
        using var expected = SafetensorsFile.Read(io).Load("logits");
        Assert.Equal(expected.Shape, logits.Shape);
        Logits.AssertClose(output, $"ctxnet run {name}", expected.ToArray(), logits.ToArray());
    }

    [Fact]
    public void AnotherNetworksWeightsAreRefusedCleanly()
    {
        var (weights, io) = cases.Get("r2plus1d_18", 32);
        var (code, _, stderr) = CliProcess.Run($"run r3d_18 --weights {weights} --input {io} --output {Path.Combine(_dir, "x.safetensors")}", timeoutSeconds: 600);
        Assert.Equal(2, code);
        Assert.Contains("does not match", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
