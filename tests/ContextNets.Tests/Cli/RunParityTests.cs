using ContextNets.IO;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Cli;

/// <summary>
/// Logits parity of zoo models with PyTorch, through `ctxnet run` as a user checking a port would run it: PyTorch
/// definitions of the same networks (tests/python/make_zoo_case.py: GC, SE and non-local ResNet-50s on torchvision's,
/// ResNeSt-14d; torchvision's resnet50 itself) with random weights and non-trivial BatchNorm, saved as safetensors;
/// the case file's `x` is the command's input. Both the eval forward and the folded path (--prepared) must match:
/// max |ours - theirs| &lt;= 1e-4 max |theirs| (<see cref="Logits"/>).
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class RunParityTests(TorchvisionCases torchvision, ZooCases zoo, ITestOutputHelper output)
    : IClassFixture<TorchvisionCases>, IClassFixture<ZooCases>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("gcresnet50")]
    [InlineData("seresnet50")]
    [InlineData("nlresnet50")]
    [InlineData("resnest14d")]
    [InlineData("resnet50")]
    public void LogitsMatchPyTorchPlainAndPrepared(string name)
    {
        var (weights, io) = name == "resnet50" ? torchvision.Get(name, 64) : zoo.Get(name, 64);
        var expected = SafetensorsFile.Read(io).Load("logits");
        foreach (string path in new[] { "", " --prepared" })
        {
            string result = Path.Combine(_dir, $"{name}{path.Trim()}.safetensors");
            // A ResNet-50 makes its primitives on first use: minutes on a busy shared machine, not a hang.
            var (code, _, stderr) = CliProcess.Run($"run {name} --weights {weights} --input {io} --output {result}{path}", timeoutSeconds: 600);
            Assert.True(code == 0, stderr);
            var file = SafetensorsFile.Read(result);
            Assert.Equal(["logits"], file.Keys);
            using var logits = file.Load("logits");
            Assert.Equal(expected.Shape, logits.Shape);
            Logits.AssertClose(output, $"ctxnet run {name}{path}", expected.ToArray(), logits.ToArray());
        }
        expected.Dispose();
    }
}
