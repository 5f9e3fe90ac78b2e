using ContextNets.IO;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet run` on a segmenter, as a user checking a port would run it: torchvision's deeplabv3_resnet50 with its aux
/// head (tests/python/make_segmentation_case.py), weights as torchvision saves them, gives `out` and `aux` at the
/// input's size, each within 1e-4 of the reference's scale (<see cref="Logits"/>), and ccnet_resnet50 (the CCNet head
/// of tests/python/ccnet_head.py) gives its `out`; --prepared is refused in one line,
/// since segmenters have no folded path yet.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class SegmentRunParityTests(SegmentationCases cases, ITestOutputHelper output) : IClassFixture<SegmentationCases>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-segrun-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void OutAndAuxMatchTorchvision()
    {
        var (weights, io) = cases.Get("deeplabv3_resnet50_aux", 36);
        string result = Path.Combine(_dir, "out.safetensors");
        var (code, _, stderr) = CliProcess.Run($"run deeplabv3_resnet50 --weights {weights} --input {io} --output {result}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        var file = SafetensorsFile.Read(result);
        Assert.Equal(["aux", "out"], file.Keys.Order());
        var reference = SafetensorsFile.Read(io);
        foreach (var key in new[] { "out", "aux" })
        {
            using var expected = reference.Load(key);
            using var actual = file.Load(key);
            Assert.Equal(expected.Shape, actual.Shape);
            Logits.AssertClose(output, $"ctxnet run deeplabv3_resnet50 {key}", expected.ToArray(), actual.ToArray());
        }

        var (refused, _, message) = CliProcess.Run($"run deeplabv3_resnet50 --weights {weights} --input {io} --output {result} --prepared", timeoutSeconds: 600);
        Assert.Equal(2, refused);
        Assert.Contains("no folded inference path", message, StringComparison.Ordinal);
    }

    [Fact]
    public void CcNetOutMatchesTheReferenceHead()
    {
        var (weights, io) = cases.Get("ccnet_resnet50", 36);
        string result = Path.Combine(_dir, "ccnet.safetensors");
        var (code, _, stderr) = CliProcess.Run($"run ccnet_resnet50 --weights {weights} --input {io} --output {result}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        var file = SafetensorsFile.Read(result);
        Assert.Equal(["out"], file.Keys);
        using var expected = SafetensorsFile.Read(io).Load("out");
        using var actual = file.Load("out");
        Assert.Equal(expected.Shape, actual.Shape);
        Logits.AssertClose(output, "ctxnet run ccnet_resnet50 out", expected.ToArray(), actual.ToArray());
    }
}
