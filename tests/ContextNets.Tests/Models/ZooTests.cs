using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>The zoo by name: published parameter counts, where the attention sits, and that every model runs.</summary>
public class ZooTests
{
    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet34", 21_797_672)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("resnet101", 44_549_160)]
    [InlineData("resnext50_32x4d", 25_028_904)]
    [InlineData("resnet50d", 25_576_264)]
    [InlineData("seresnet50", 28_088_024)]
    public void ExactPublishedCounts(string name, long expected)
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create(name);
        Assert.Equal(expected, model.ParameterCount);
    }

    // timm prints these to 0.01M (timm.create_model(name).num_params / 1e6).
    [Theory]
    [InlineData("seresnet50", 28.09)]
    [InlineData("gcresnet50t", 25.90)]
    [InlineData("resnest50d", 27.48)]
    [InlineData("resnest26d", 17.07)]
    [InlineData("resnest14d", 10.61)]
    [InlineData("skresnet18", 11.96)]
    [InlineData("skresnet34", 22.28)]
    public void TimmCountsToTheHundredthOfAMillion(string name, double millions)
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create(name);
        Assert.Equal(millions, Math.Round(model.ParameterCount / 1e6, 2));
    }

    // What a GC block (attention pooling, add) costs in parameters: conv_attn C + 1, fc1 C rd + rd, LayerNorm 2 rd, fc2 rd C + C.
    private static long GcParams(int c, int rd) => c + 1 + (long)c * rd + rd + 2 * rd + (long)rd * c + c;

    // An NL block with BN after W_z: g, theta, phi (C -> C/2 with bias), conv_out (C/2 -> C, no bias), BN (2 C).
    private static long NlParams(int c) => 3 * ((long)c * (c / 2) + c / 2) + (long)(c / 2) * c + 2 * c;

    [Theory]
    [InlineData("gcresnet50", 16)]
    [InlineData("gcresnet50_r4", 4)]
    public void GcPaperModelsAddOneBlockPerBottleneckOfC3ToC5(string name, int r)
    {
        using var skip = Initializers.SkipRandom();
        long added = 4 * GcParams(512, 512 / r) + 6 * GcParams(1024, 1024 / r) + 3 * GcParams(2048, 2048 / r);
        using var model = Zoo.Create(name);
        Assert.Equal(25_557_032 + added, model.ParameterCount);
        var gc = model.NamedModules().Where(m => m.module is GlobalContext).ToList();
        Assert.Equal(13, gc.Count);
        Assert.All(gc, m => Assert.Matches(@"^layer[234]\.\d+\.se$", m.name));
        Assert.All(gc, m => Assert.Equal(ContextFusion.Add, ((GlobalContext)m.module).Fusion));
    }

    [Fact]
    public void GcPaperR16IsTheTwentyEightMillionOfThePaper()
    {
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create("gcresnet50");
        Assert.Equal(28.08, Math.Round(model.ParameterCount / 1e6, 2));
    }

    [Fact]
    public void NonLocalModelsPlaceOneOrFiveBlocks()
    {
        using var skip = Initializers.SkipRandom();
        using var one = Zoo.Create("nlresnet50");
        Assert.Equal(["layer3.4.non_local_block"], NonLocals(one));
        Assert.Equal(25_557_032 + NlParams(1024), one.ParameterCount);
        using var five = Zoo.Create("nlresnet50_5");
        Assert.Equal(["layer2.1.non_local_block", "layer2.3.non_local_block", "layer3.1.non_local_block", "layer3.3.non_local_block", "layer3.5.non_local_block"],
            NonLocals(five));
        Assert.Equal(25_557_032 + 2 * NlParams(512) + 3 * NlParams(1024), five.ParameterCount);
    }

    [Fact]
    public void EveryNameIsDescribedAndBuildsForItsDefaultInput()
    {
        Assert.Equal(Zoo.Names.Count, Zoo.Names.Distinct().Count());
        foreach (var name in Zoo.Names)
        {
            Assert.False(string.IsNullOrWhiteSpace(Zoo.Describe(name)));
            var e = Zoo.Entry(name);
            Assert.Equal(e.DefaultClasses, Zoo.Config(name).NumClasses);
            Assert.Equal(e.DefaultInChannels, Zoo.Config(name).InChannels);
        }
        foreach (var name in new[] { "resnet20", "gc_resnet20", "se_resnet20", "snl_resnet20", "nl_resnet20", "nl_gaussian_resnet20", "sk_resnet20", "splat_resnet20" })
            Assert.Contains(name, Zoo.Names);
        var ex = Assert.Throws<ArgumentException>(() => Zoo.Create("resnet51"));
        Assert.Contains("resnet50", ex.Message);
    }

    [Theory]
    [InlineData("resnet20", "")]
    [InlineData("gc_resnet20", "se")]
    [InlineData("se_resnet20", "se")]
    [InlineData("snl_resnet20", "se")]
    [InlineData("nl_resnet20", "non_local_block")]
    [InlineData("nl_gaussian_resnet20", "non_local_block")]
    [InlineData("sk_resnet20", "conv1")]
    [InlineData("splat_resnet20", "conv1")]
    public void CifarModelsTrainOnFashionMnistShapes(string name, string attentionKey)
    {
        using var model = Zoo.Create(name);
        Assert.Equal(1, model.Config.InChannels);
        var attention = model.NamedModules().Where(m => m.module is IAttentionSource).Select(m => m.name).ToList();
        if (attentionKey.Length == 0) Assert.Empty(attention);
        else Assert.All(attention, n => Assert.EndsWith("." + attentionKey, n, StringComparison.Ordinal));
        int expected = name switch { "resnet20" => 0, "nl_resnet20" or "nl_gaussian_resnet20" => 1, _ => 9 };
        Assert.Equal(expected, attention.Count);

        using (Tensor.Scope())
        {
            var logits = model.Forward(Tensor.Randn([2, 1, 28, 28], 1));
            Assert.Equal(new Shape(2, 10), logits.Shape);
            F.CrossEntropy(logits, [3, 7]).Backward();
        }
        Assert.All(model.NamedParameters(), p => Assert.True(p.tensor.Grad is not null, $"{name}: {p.name} has no gradient"));
        model.ZeroGrad();
        model.Eval();
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        Assert.Equal(new Shape(1, 10), model.Forward(Tensor.Randn([1, 1, 32, 32], 2)).Shape);
    }

    [Fact]
    public void ClassesAndChannelsCanBeChosen()
    {
        using var model = Zoo.Create("gc_resnet20", numClasses: 100, inChannels: 3);
        Assert.Equal((100, 3), (model.Config.NumClasses, model.Config.InChannels));
        using var big = Zoo.Create("resnet18", 10, 1);
        Assert.Equal([64, 1, 7, 7], big.StateDict()["conv1.weight"].Shape.Dims.ToArray());
    }

    private static List<string> NonLocals(Module m) => m.NamedModules().Where(x => x.module is NonLocal).Select(x => x.name).ToList();
}
