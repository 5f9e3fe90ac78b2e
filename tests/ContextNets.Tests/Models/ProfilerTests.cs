using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>Operation counts against PyTorch's (forward hooks on conv and linear layers), the shapes against a real forward, and the attention formulas by hand.</summary>
public class ProfilerTests
{
    // torchvision models at 224x224, conv and linear multiply-adds summed by forward hooks in PyTorch 1.13.
    [Theory]
    [InlineData("resnet50", 4_089_184_256)]
    [InlineData("resnet18", 1_814_073_344)]
    [InlineData("resnext50_32x4d", 4_230_479_872)]
    public void MacsMatchPyTorchHooks(string name, long macs)
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create(name);
        var profile = Profiler.Of(model, new Shape(1, 3, 224, 224));
        Assert.Equal(macs, profile.Total.Ops.Macs);
        Assert.Equal(model.ParameterCount, profile.Total.Params);
    }

    [Fact]
    public void ResNet50IsTheDesignsFourPointZeroNineGMacs()
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create("resnet50");
        var total = Profiler.Of(model, new Shape(1, 3, 224, 224)).Total.Ops;
        Assert.Equal(4.09, Math.Round(total.GMacs, 2));
        Assert.Equal(8.18, Math.Round(total.GFlops, 2));
        // BN (2 per element) and the rest are counted apart and stay a small fraction.
        Assert.InRange(total.OtherOps / total.Flops, 0.001, 0.02);
    }

    [Fact]
    public void BatchScalesEveryCount()
    {
        using var model = Zoo.Create("gc_resnet20");
        var one = Profiler.Of(model, new Shape(1, 1, 28, 28)).Total.Ops;
        var four = Profiler.Of(model, new Shape(4, 1, 28, 28)).Total.Ops;
        Assert.Equal(new OpCount(4 * one.Macs, 4 * one.OtherOps), four);
    }

    [Theory]
    [InlineData("resnet50d", 57)]
    [InlineData("gcresnet50t", 64)]
    [InlineData("resnest14d", 67)]
    [InlineData("skresnet18", 48)]
    [InlineData("nlresnet50_5", 64)]
    [InlineData("splat_resnet20", 28)]
    [InlineData("sk_resnet20", 30)]
    public void ProfiledShapesAreTheForwardsShapes(string name, int size)
    {
        // Shapes and counts only: the weights may stay zero.
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create(name);
        model.Eval();
        int c = model.Config.InChannels;
        var profile = Profiler.Of(model, new Shape(2, c, size, size));
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = Tensor.Randn([2, c, size, size], 1);
        var features = model.ForwardFeatures(x);
        Assert.Equal(features.Shape, profile[$"layer{model.Stages.Count}"].Output);
        Assert.Equal(model.Forward(x).Shape, profile.Total.Output);
        Assert.Equal(model.ParameterCount, profile.TopLevel.Sum(m => m.Params));
        Assert.Equal(profile.Total.Ops, profile.TopLevel.Aggregate(default(OpCount), (a, m) => a + m.Ops) + HeadPool(profile));
    }

    // The ResNet's own global pool before fc: one add per element of the last feature map.
    private static OpCount HeadPool(ModelProfile p) => new(0, p[$"layer{p.TopLevel.Count(m => m.Name.StartsWith("layer", StringComparison.Ordinal))}"].Output.Numel);

    [Fact]
    public void GcNetAddsWhatItsBlocksCost()
    {
        using var skip = Initializers.SkipRandom();
        using var plain = Zoo.Create("resnet50");
        using var gc = Zoo.Create("gcresnet50");
        var input = new Shape(1, 3, 224, 224);
        var p0 = Profiler.Of(plain, input);
        var p1 = Profiler.Of(gc, input);
        var attention = p1.Attention.ToList();
        Assert.Equal(13, attention.Count);
        Assert.Equal(p1.Total.Ops - p0.Total.Ops, attention.Aggregate(default(OpCount), (a, m) => a + m.Ops));
        Assert.Equal(p1.Total.Params - p0.Total.Params, attention.Sum(m => m.Params));

        // layer3.0.se: C 1024 at 14x14, rd 64. conv_attn and the weighted sum are C P multiply-adds each, fc1 and fc2 C rd.
        const long c = 1024, p = 196, rd = 64;
        var block = p1["layer3.0.se"];
        Assert.Equal(new Shape(1, 1024, 14, 14), block.Input);
        Assert.Equal(2 * c * p + 2 * c * rd, block.Ops.Macs);
        // conv_attn bias P, softmax 3P, fc biases rd + C, LayerNorm 5 rd, the fused add C P.
        Assert.Equal(p + 3 * p + rd + c + 5 * rd + c * p, block.Ops.OtherOps);
        // The paper: GC (r 16) costs about 0.26% more FLOPs than ResNet-50.
        Assert.InRange((p1.Total.Ops.Macs - p0.Total.Ops.Macs) / (double)p0.Total.Ops.Macs, 0.001, 0.004);
    }

    [Fact]
    public void NonLocalCountsItsPairwiseProducts()
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create("nlresnet50");
        var block = Profiler.Of(model, new Shape(1, 3, 224, 224))["layer3.4.non_local_block"];
        // 14x14 queries, 7x7 sub-sampled keys, inner 512: three projections, theta . phi, f g, conv_out.
        const long c = 1024, inner = 512, p = 196, keys = 49;
        Assert.Equal(3 * c * inner * p + 2 * p * keys * inner + inner * c * p, block.Ops.Macs);
        Assert.True(block.IsAttention);
    }

    [Fact]
    public void SplitAttentionAddsItsGateToTheGroupedConv()
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create("resnest14d");
        var profile = Profiler.Of(model, new Shape(1, 3, 224, 224));
        var sa = profile["layer1.0.conv2"];
        // 64 -> 2 x 64 channels, 2 groups of 3x3 over 56x56; fc1 64 -> 32, fc2 32 -> 128 on the pooled vector.
        Assert.Equal(128L * 56 * 56 * 32 * 9 + 64 * 32 + 32 * 128, sa.Ops.Macs);
        Assert.Equal(new Shape(1, 64, 56, 56), sa.Output);
        Assert.Equal(4, profile.Attention.Count());
    }
}
