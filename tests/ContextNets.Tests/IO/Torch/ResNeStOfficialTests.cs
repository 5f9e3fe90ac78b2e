using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.IO.Mapping;
using ContextNets.Models;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.IO.Torch;

/// <summary>
/// The official ResNeSt checkpoints' names (tests/python/make_resnest_official_case.py builds the official module
/// structure at ResNeSt-14 size) are exactly resnest14d's: the file, as a zip or in the legacy format the published
/// weights use, loads strictly under the ResNeSt convention and by auto-detection, and gives PyTorch's logits.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class ResNeStOfficialTests(ResNeStOfficialCases cases, ITestOutputHelper output) : IClassFixture<ResNeStOfficialCases>
{
    [Theory]
    [InlineData("resnest14_official.pth", KeyConvention.ResNeSt)]
    [InlineData("resnest14_official_legacy.pth", KeyConvention.ResNeSt)]
    [InlineData("resnest14_official_legacy.pth", KeyConvention.Auto)]
    public void TheOfficialStructuresKeysAreOursAndGiveItsLogits(string file, KeyConvention convention)
    {
        using var model = Zoo.Create("resnest14d");
        var report = model.Load(Path.Combine(cases.Dir, file), strict: true, convention);
        Assert.True(report.IsComplete, report.ToString());
        Assert.All(report.Mapping.Where(m => m.Target is not null), m => Assert.Equal(m.Source, m.Target));
        Assert.Equal(model.StateDict().Count, report.Mapping.Count(m => m.Target is not null));
        Assert.All(report.Mapping.Where(m => m.Target is null), m => Assert.EndsWith(".num_batches_tracked", m.Source));
        model.Eval();

        var io = SafetensorsFile.Read(Path.Combine(cases.Dir, "resnest14_official.case.safetensors"));
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var expected = io.Load("logits").ToArray();
        var actual = model.Forward(io.Load("x")).ToArray();
        Logits.AssertClose(output, file, expected, actual);
    }
}
