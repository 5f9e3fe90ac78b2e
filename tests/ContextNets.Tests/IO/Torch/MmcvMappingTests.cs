using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.IO.Mapping;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.IO.Torch;

/// <summary>
/// mmcv's names onto ours: ContextBlock and NonLocal2d state dicts (tests/python/make_mmcv_case.py, modules built with
/// mmcv's structure and names) load into our blocks and give mmcv's outputs, at the blocks' tolerance (rtol 1e-4,
/// atol 1e-5); an mmdet GCNet ResNet-50 with its plugins under `backbone.` and an mmcls head gives its logits at the
/// parity tolerance (1e-4 of the logits' scale).
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class MmcvMappingTests(MmcvCases cases, ITestOutputHelper output) : IClassFixture<MmcvCases>
{
    [Fact]
    public void AContextBlockWithBothFusionsGivesMmcvsOutput()
    {
        // mmcv: planes = int(32 * 1/4) = 8, LayerNorm eps 1e-5.
        using var block = new GlobalContext(32, ContextPooling.Attention, ContextFusion.Both, rdChannels: 8, lnEps: 1e-5f, zeroInitLast: false);
        var report = LoadAndCompare(block, "context_block");
        Assert.Equal(4, report.Mapping.Count(m => m.Reshaped));
        var norm = report.Mapping.Single(m => m.Source == "channel_add_conv.1.weight");
        Assert.Equal("mlp_add.norm.weight", norm.Target);
        Assert.Equal(new Shape(8, 1, 1), norm.SourceShape);
        Assert.Equal(new Shape(8), norm.TargetShape);
        Assert.Equal("mlp_scale.fc2.bias", report.Mapping.Single(m => m.Source == "channel_mul_conv.3.bias").Target);
        Assert.Equal("conv_attn.weight", report.Mapping.Single(m => m.Source == "conv_mask.weight").Target);
    }

    [Fact]
    public void ASubSampledNonLocalWithBatchNormGivesMmcvsOutput()
    {
        using var block = new NonLocal(16, Pairwise.EmbeddedGaussian, reduction: 2, subSample: true, useScale: true, norm: true);
        var report = LoadAndCompare(block, "nonlocal_bn");
        Assert.Equal("g.weight", report.Mapping.Single(m => m.Source == "g.0.conv.weight").Target);
        Assert.Equal("phi.bias", report.Mapping.Single(m => m.Source == "phi.0.conv.bias").Target);
        Assert.Equal("norm.running_var", report.Mapping.Single(m => m.Source == "conv_out.bn.running_var").Target);
        Assert.Null(report.Mapping.Single(m => m.Source == "conv_out.bn.num_batches_tracked").Target);
    }

    [Fact]
    public void AConcatenationNonLocalGivesMmcvsOutput()
    {
        using var block = new NonLocal(16, Pairwise.Concatenation, reduction: 2, subSample: false, useScale: true, norm: false);
        var report = LoadAndCompare(block, "nonlocal_concat");
        Assert.Equal("concat_project.weight", report.Mapping.Single(m => m.Source == "concat_project.conv.weight").Target);
        Assert.Equal("theta.weight", report.Mapping.Single(m => m.Source == "theta.conv.weight").Target);
    }

    [Fact]
    public void AnMmdetGcNetWithAnMmclsHeadGivesItsLogits()
    {
        var (pth, io) = cases.Get("mmdet_gcnet");
        // mmdet's GCNet: ContextBlock(ratio 1/16) after conv3 in stages 2-4, mmcv's LayerNorm eps.
        var config = ResNets.ResNet50() with
        {
            AttentionAfterLastNorm = Placement.OnStages(ch => new GlobalContext(ch, ContextPooling.Attention, ContextFusion.Add, rdRatio: 1.0 / 16, lnEps: 1e-5f), 2, 3, 4),
        };
        using var model = new ResNet(config);
        var report = model.Load(pth);
        Assert.True(report.IsComplete, report.ToString());
        Assert.StartsWith("mmcv (detected from 'backbone.", report.Convention);
        Assert.Equal("layer3.5.se.mlp_add.norm.bias", report.Mapping.Single(m => m.Source == "backbone.layer3.5.context_block.channel_add_conv.1.bias").Target);
        Assert.Equal("fc.weight", report.Mapping.Single(m => m.Source == "head.fc.weight").Target);
        model.Eval();
        var file = SafetensorsFile.Read(io);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var expected = file.Load("y").ToArray();
        var actual = model.Forward(file.Load("x")).ToArray();
        Logits.AssertClose(output, "mmdet gcnet", expected, actual);
    }

    [Fact]
    public void ThePluginNameFindsOurAttnSlotAfterTheMiddleConv()
    {
        // gcresnet50t has its GC blocks after the 3x3 conv (`attn`): mmdet's after_conv2 position.
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create("gcresnet50t");
        var own = Shapes(model);
        var source = own.Select(kv => (kv.Key.Replace(".attn.conv_attn.", ".context_block.conv_mask.", StringComparison.Ordinal)
            .Replace(".attn.mlp_add.fc1.", ".context_block.channel_add_conv.0.", StringComparison.Ordinal), kv.Value)).ToList();
        var map = KeyMapper.Map(source, own, KeyConvention.Auto);
        Assert.Equal(KeyConvention.Mmcv, map.Convention);
        Assert.Empty(map.Unused);
        Assert.Empty(map.Missing);
        Assert.Contains(map.Entries, m => m.Source == "layer2.0.context_block.conv_mask.weight" && m.Target == "layer2.0.attn.conv_attn.weight");
    }

    [Fact]
    public void TheMmdetDeepStemMapsOntoResNet50D()
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create("resnet50d");
        var own = Shapes(model);
        string Mmdet(string k) => k.StartsWith("bn1.", StringComparison.Ordinal) ? "backbone.stem.7." + k[4..]
            : k.StartsWith("conv1.", StringComparison.Ordinal) ? "backbone.stem." + k[6..] : "backbone." + k;
        var map = KeyMapper.Map([.. own.Select(kv => (Mmdet(kv.Key), kv.Value))], own, KeyConvention.Mmcv);
        Assert.Empty(map.Missing);
        Assert.Empty(map.Unused);
        Assert.Contains(map.Entries, m => m.Source == "backbone.stem.4.running_mean" && m.Target == "conv1.4.running_mean");
        Assert.Contains(map.Entries, m => m.Source == "backbone.stem.7.weight" && m.Target == "bn1.weight");
    }

    [Fact]
    public void AKeyTwiceOrAShapeThatIsNotASqueezeIsAnErrorNamingBoth()
    {
        using var block = new NonLocal(8, Pairwise.EmbeddedGaussian);
        var own = Shapes(block);
        var twice = own.Select(kv => (kv.Key, kv.Value)).Append(("g.conv.weight", own["g.weight"])).ToList();
        var e = Assert.Throws<InvalidDataException>(() => KeyMapper.Map(twice, own, KeyConvention.Mmcv));
        Assert.Contains("'g.weight'", e.Message);
        Assert.Contains("'g.conv.weight'", e.Message);

        using var gc = new GlobalContext(32, rdChannels: 8);
        var gcShapes = Shapes(gc);
        var wrong = gcShapes.Select(kv => (kv.Key == "conv_attn.weight" ? "conv_mask.weight" : kv.Key, kv.Key == "conv_attn.weight" ? new Shape(1, 32) : kv.Value)).ToList();
        e = Assert.Throws<InvalidDataException>(() => KeyMapper.Map(wrong, gcShapes, KeyConvention.Mmcv));
        Assert.Contains("'conv_mask.weight' (the model's 'conv_attn.weight') has shape [1, 32] in the file, but the model's is [1, 32, 1, 1]", e.Message);
        Assert.Contains("[1, 32, 1, 1]", e.Message);
    }

    [Fact]
    public void DataParallelPrefixesGoAndTimmKeysAreDetectedAsTimm()
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create("resnet18");
        var own = Shapes(model);
        var map = KeyMapper.Map([.. own.Select(kv => ("module." + kv.Key, kv.Value))], own, KeyConvention.Auto);
        Assert.Equal(KeyConvention.Timm, map.Convention);
        Assert.Null(map.Evidence);
        Assert.Empty(map.Unused);
        Assert.Empty(map.Missing);
        // Told that mmcv keys are timm's, nothing lands.
        var mmcv = KeyMapper.Map([("conv_mask.weight", new Shape(1, 8, 1, 1))], new Dictionary<string, Shape> { ["conv_attn.weight"] = new(1, 8, 1, 1) }, KeyConvention.Timm);
        Assert.Equal(["conv_mask.weight"], mmcv.Unused);
    }

    private LoadReport LoadAndCompare(Module block, string name)
    {
        var (pth, io) = cases.Get(name);
        var report = block.Load(pth);
        Assert.True(report.IsComplete, report.ToString());
        Assert.StartsWith("mmcv", report.Convention);
        block.Eval();
        var file = SafetensorsFile.Read(io);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var y = block.Forward(file.Load("x"));
        Check.Close(RefTensor.From(file.Load("y")), y, what: name);
        return report;
    }

    private static Dictionary<string, Shape> Shapes(Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
}
