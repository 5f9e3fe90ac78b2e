using ContextNets.IO;
using ContextNets.Models;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Models;

/// <summary>
/// Logits parity of zoo models with PyTorch definitions of the same networks (tests/python/make_zoo_case.py: GC,
/// SE and non-local ResNet-50s on torchvision's, and ResNeSt-14d; torchvision's resnet50 itself), random weights
/// and non-trivial BatchNorm, loaded strictly with <see cref="ModuleWeights.Load"/> by name. Both the eval forward
/// and the folded inference model must match: max |ours - theirs| &lt;= 1e-4 max |theirs|, as in
/// <see cref="TorchvisionParityTests"/>.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public class ZooParityTests(TorchvisionCases torchvision, ZooCases zoo, ITestOutputHelper output)
    : IClassFixture<TorchvisionCases>, IClassFixture<ZooCases>
{
    [Theory]
    [InlineData("gcresnet50")]
    [InlineData("seresnet50")]
    [InlineData("nlresnet50")]
    [InlineData("resnest14d")]
    [InlineData("resnet50")]
    public void LogitsMatchPyTorch(string name)
    {
        var (weights, io) = name == "resnet50" ? torchvision.Get(name, 64) : zoo.Get(name, 64);
        using var model = Zoo.Create(name);
        var report = model.Load(weights);
        Assert.True(report.IsComplete, report.ToString());
        Logits.AssertModelMatches(output, name, model, io);
    }
}
