using ContextNets.IO;
using ContextNets.Models;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.IO.Torch;

/// <summary>
/// Logits parity through torch.save: zoo networks defined in PyTorch (tests/python/make_pth_zoo_case.py), saved with
/// torch.save(model.state_dict()) by Debian's PyTorch (gcresnet50 and gc_resnet20 as zips, resnet50 in the legacy
/// format), loaded strictly with model.Load. The eval forward and the folded inference model must both match:
/// max |ours - theirs| &lt;= 1e-4 max |theirs|, the tolerance of the safetensors parity tests.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class PthParityTests(PthZooCases cases, ITestOutputHelper output) : IClassFixture<PthZooCases>
{
    [Theory]
    [InlineData("gcresnet50", 64)]
    [InlineData("resnet50", 64)]
    [InlineData("gc_resnet20", 28)]
    public void LogitsMatchPyTorch(string name, int size)
    {
        var (pth, io) = cases.Get(name, size);
        using var model = Zoo.Create(name);
        var report = model.Load(pth);
        Assert.True(report.IsComplete, report.ToString());
        Assert.Equal("timm", report.Convention);
        Assert.All(report.Mapping.Where(m => m.Target is not null), m => Assert.Equal(m.Source, m.Target));
        Logits.AssertModelMatches(output, name, model, io);
    }
}
