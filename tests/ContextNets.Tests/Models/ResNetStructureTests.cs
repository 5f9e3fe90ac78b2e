using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>Keys, initialization and the places the hooks put their modules.</summary>
public class ResNetStructureTests
{
    [Fact]
    public void DeepStemAndAvgDownUseTimmKeys()
    {
        using var skip = Initializers.SkipRandom();
        using var model = new ResNet(ResNets.ResNet50D());
        var keys = model.StateDict().Keys.ToHashSet();
        foreach (var k in new[] { "conv1.0.weight", "conv1.1.running_var", "conv1.3.weight", "conv1.4.weight", "conv1.6.weight", "bn1.weight",
                                  "layer1.0.downsample.1.weight", "layer1.0.downsample.2.running_mean", "layer2.0.downsample.1.weight", "fc.bias" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("conv1.2", StringComparison.Ordinal) || k.StartsWith("conv1.5", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.Contains("downsample.0", StringComparison.Ordinal));
        Assert.Equal([64, 32, 3, 3], model.StateDict()["conv1.6.weight"].Shape.Dims.ToArray());
    }

    [Fact]
    public void TieredStemHasTimmWidths()
    {
        using var skip = Initializers.SkipRandom();
        using var model = new ResNet(ResNets.ResNet50() with { Stem = StemType.DeepTiered, StemWidth = 32, AvgDown = true });
        var sd = model.StateDict();
        Assert.Equal([24, 3, 3, 3], sd["conv1.0.weight"].Shape.Dims.ToArray());
        Assert.Equal([32, 24, 3, 3], sd["conv1.3.weight"].Shape.Dims.ToArray());
        Assert.Equal([64, 32, 3, 3], sd["conv1.6.weight"].Shape.Dims.ToArray());
    }

    [Fact]
    public void TieredStemWithoutPoolStridesItsThirdConv()
    {
        using var model = new ResNet(ResNets.ResNet50TieredNoPool(numClasses: 3) with { Layers = [1, 1, 1, 1] });
        var names = model.NamedModules().ToDictionary(m => m.name, m => m.module);
        Assert.False(names.ContainsKey("maxpool"));
        Assert.Equal((2, 1, 2), (((Conv2d)names["conv1.0"]).Stride, ((Conv2d)names["conv1.3"]).Stride, ((Conv2d)names["conv1.6"]).Stride));
        Assert.Equal([24, 32, 64], new[] { "conv1.0", "conv1.3", "conv1.6" }.Select(n => ((Conv2d)names[n]).OutChannels));
        using var scope = Tensor.Scope();
        using var noGrad = ContextNets.Autograd.GradMode.NoGrad();
        Assert.Equal(new Shape(2, 2048, 2, 2), model.ForwardFeatures(Tensor.Randn([2, 3, 64, 64], 1)).Shape);
    }

    [Fact]
    public void ResNeStTakesTheMiddleConvAndPoolsWithoutKeys()
    {
        using var model = new ResNet(ResNets.ResNeStD([1, 1, 1, 1], StandInSplitAttention.Create));
        var keys = model.StateDict().Keys.ToHashSet();
        foreach (var k in new[] { "layer2.0.conv2.conv.weight", "layer2.0.conv2.bn0.weight", "layer2.0.conv2.fc1.bias", "layer2.0.conv2.bn1.running_var",
                                  "layer2.0.conv2.fc2.weight", "layer2.0.conv3.weight", "layer2.0.bn3.weight" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain(keys, k => k.Contains(".bn2.", StringComparison.Ordinal) || k.Contains("avd", StringComparison.Ordinal));
        // avd takes the stride: the split-attention conv of a strided block runs at stride 1, and only strided blocks pool.
        var names = model.NamedModules().ToDictionary(m => m.name, m => m.module);
        Assert.IsType<AvgPool2d>(names["layer2.0.avd_last"]);
        Assert.False(names.ContainsKey("layer1.0.avd_last"));
        Assert.Equal(1, ((Conv2d)names["layer2.0.conv2.conv"]).Stride);
        Assert.Equal(2, ((AvgPool2d)names["layer2.0.avd_last"]).Stride);
    }

    [Fact]
    public void AvdFirstPoolsBeforeTheMiddleConv()
    {
        using var model = new ResNet(ResNets.ResNeStD([1, 1, 1, 1], StandInSplitAttention.Create) with { AvdFirst = true });
        var names = model.NamedModules().Select(m => m.name).ToList();
        Assert.Contains("layer3.0.avd_first", names);
        Assert.True(names.IndexOf("layer3.0.avd_first") < names.IndexOf("layer3.0.conv2"));
        Assert.DoesNotContain("layer3.0.avd_last", names);
    }

    [Fact]
    public void SelectiveKernelBlocksUseTimmKeys()
    {
        using var skip = Initializers.SkipRandom();
        using var basic = new ResNet(ResNets.SkResNet([2, 2, 2, 2], StandInSelectiveKernel.Create));
        var keys = basic.StateDict().Keys.ToHashSet();
        foreach (var k in new[] { "layer1.0.conv1.paths.1.0.weight", "layer2.0.conv1.attn.0.weight", "layer2.0.conv2.conv.weight", "layer2.0.conv2.bn.running_var",
                                  "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain(keys, k => k.Contains(".bn1.", StringComparison.Ordinal) || k.Contains(".bn2.", StringComparison.Ordinal));
        Assert.All(basic.StateDict()["layer1.0.conv2.bn.weight"].ToArray(), v => Assert.Equal(1f, v));

        using var bottleneck = new ResNet(ResNets.ResNet50() with { Block = BlockType.SelectiveKernelBottleneck, MiddleConv = new MiddleConv(StandInSelectiveKernel.Create) });
        var sd = bottleneck.StateDict();
        Assert.Equal([64, 64, 1, 1], sd["layer1.0.conv1.conv.weight"].Shape.Dims.ToArray());
        Assert.Equal([64, 32, 3, 3], sd["layer1.0.conv2.paths.0.0.weight"].Shape.Dims.ToArray());
        Assert.All(sd["layer1.0.conv3.bn.weight"].ToArray(), v => Assert.Equal(0f, v));
        bottleneck.Eval();
        basic.Eval();
        using var scope = Tensor.Scope();
        using var noGrad = ContextNets.Autograd.GradMode.NoGrad();
        Assert.Equal(new Shape(1, 1000), bottleneck.Forward(Tensor.Randn([1, 3, 32, 32], 1)).Shape);
        Assert.Equal(new Shape(1, 1000), basic.Forward(Tensor.Randn([1, 3, 32, 32], 1)).Shape);
    }

    [Fact]
    public void ResNeXtGroupsTheMiddleConv()
    {
        using var skip = Initializers.SkipRandom();
        using var model = new ResNet(ResNets.ResNeXt50_32x4d());
        var conv2 = (Conv2d)model.NamedModules().Single(m => m.name == "layer1.0.conv2").module;
        Assert.Equal((128, 32), (conv2.OutChannels, conv2.Groups));
        Assert.Equal([128, 4, 3, 3], conv2.Weight.Shape.Dims.ToArray());
    }

    [Fact]
    public void GcPaperPlacementIsAfterBn3InStagesTwoToFour()
    {
        using var skip = Initializers.SkipRandom();
        var sites = new List<BlockSite>();
        var config = ResNets.ResNet50() with { AttentionAfterLastNorm = Record(sites, Placement.OnStages(c => new Marker(c), 2, 3, 4)) };
        using var model = new ResNet(config);
        var markers = Markers(model);
        Assert.Equal(4 + 6 + 3, markers.Count);
        Assert.All(markers.Keys, name => Assert.Matches(@"^layer[234]\.\d+\.se$", name));
        Assert.Equal(512, markers["layer2.0.se"].Channels);
        Assert.Equal(2048, markers["layer4.2.se"].Channels);
        Assert.Equal(13, sites.Count);
        Assert.All(sites, s => Assert.InRange(s.Stage, 2, 4));
    }

    [Fact]
    public void AttentionAfterTheMiddleConvSeesTheBottleneckWidth()
    {
        using var skip = Initializers.SkipRandom();
        using var model = new ResNet(ResNets.ResNet50() with { AttentionAfterConv2 = Placement.Everywhere(c => new Marker(c)) });
        var markers = Markers(model);
        Assert.Equal(16, markers.Count);
        Assert.Equal(64, markers["layer1.0.attn"].Channels);
        Assert.Equal(512, markers["layer4.0.attn"].Channels);
    }

    [Fact]
    public void BasicBlocksTakeAttentionAfterTheSecondNorm()
    {
        using var model = new ResNet(ResNets.Cifar(20) with { AttentionAfterLastNorm = Placement.Everywhere(c => new Marker(c)) });
        var markers = Markers(model);
        Assert.Equal(9, markers.Count);
        Assert.Equal(16, markers["layer1.2.se"].Channels);
        Assert.Equal(64, markers["layer3.0.se"].Channels);
    }

    [Fact]
    public void NonLocalPlacementsFollowThePaper()
    {
        using var skip = Initializers.SkipRandom();
        using (var one = new ResNet(ResNets.ResNet50() with { AfterBlock = Placement.BeforeLastBlock(3, c => new Marker(c)) }))
            Assert.Equal(["layer3.4.non_local_block"], Markers(one).Keys);
        using var five = new ResNet(ResNets.ResNet50() with { AfterBlock = Placement.EveryOtherBlock(c => new Marker(c), 2, 3) });
        var markers = Markers(five);
        Assert.Equal(["layer2.1.non_local_block", "layer2.3.non_local_block", "layer3.1.non_local_block", "layer3.3.non_local_block", "layer3.5.non_local_block"], markers.Keys);
        Assert.Equal(1024, markers["layer3.5.non_local_block"].Channels);
    }

    [Fact]
    public void HookModulesRunWhereTheyArePlaced()
    {
        using var model = new ResNet(ResNets.Cifar(8) with
        {
            AttentionAfterConv2 = Placement.Everywhere(c => new Marker(c)),
            AttentionAfterLastNorm = Placement.Everywhere(c => new Marker(c)),
            AfterBlock = Placement.OnStages(c => new Marker(c), 3),
        });
        using var scope = Tensor.Scope();
        model.Forward(Tensor.Randn([1, 3, 8, 8], 1));
        Assert.All(Markers(model).Values, m => Assert.Equal(1, m.Calls));
    }

    [Fact]
    public void ZeroInitLastZeroesTheLastNormOfEveryBranchOnly()
    {
        // Norm weights are constants, which SkipRandom keeps; only the convs' random draws are skipped.
        using var skip = Initializers.SkipRandom();
        using var timm = new ResNet(ResNets.ResNet50());
        var sd = timm.StateDict();
        Assert.All(sd.Where(kv => kv.Key.EndsWith("bn3.weight", StringComparison.Ordinal)), kv => Assert.All(kv.Value.ToArray(), v => Assert.Equal(0f, v)));
        Assert.All(sd["layer1.0.bn2.weight"].ToArray(), v => Assert.Equal(1f, v));
        Assert.All(sd["layer1.0.downsample.1.weight"].ToArray(), v => Assert.Equal(1f, v));
        using var torchvision = new ResNet(ResNets.ResNet18() with { ZeroInitLast = false });
        Assert.All(torchvision.StateDict()["layer1.0.bn2.weight"].ToArray(), v => Assert.Equal(1f, v));
        using var basic = new ResNet(ResNets.ResNet18());
        Assert.All(basic.StateDict()["layer1.0.bn2.weight"].ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ConvsAreKaimingNormalByFanOut()
    {
        using var model = new ResNet(ResNets.ResNet50());
        // layer4.0.conv2: 512 x 512 x 3 x 3 weights, fan_out = 512 * 9.
        var w = model.StateDict()["layer4.0.conv2.weight"].ToArray();
        double mean = w.Average(v => (double)v), std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -1e-3, 1e-3);
        Assert.InRange(std / Math.Sqrt(2.0 / (512 * 9)), 0.99, 1.01);
        // Grouped: fan_out still counts every output channel (PyTorch's rule).
        using var resnext = new ResNet(ResNets.ResNeXt50_32x4d());
        var g = resnext.StateDict()["layer4.0.conv2.weight"].ToArray();
        double gstd = Math.Sqrt(g.Average(v => (double)v * v));
        Assert.InRange(gstd / Math.Sqrt(2.0 / (1024 * 9)), 0.97, 1.03);
    }

    [Fact]
    public void ModulesFromHooksKeepTheirOwnInitialization()
    {
        using var model = new ResNet(ResNets.Cifar(8) with { AttentionAfterLastNorm = Placement.Everywhere(c => new Zeroed(c)) });
        Assert.All(model.StateDict().Where(kv => kv.Key.EndsWith("se.conv.weight", StringComparison.Ordinal)),
            kv => Assert.All(kv.Value.ToArray(), v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void BadConfigsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new ResNet(ResNets.ResNet18() with { Cardinality = 32 }));
        Assert.Throws<ArgumentException>(() => new ResNet(ResNets.ResNet50() with { Layers = [3, 4, 6] }));
        Assert.Throws<ArgumentException>(() => new ResNet(ResNets.ResNet50() with { AvdFirst = true }));
        Assert.Throws<ArgumentException>(() => new ResNet(ResNets.ResNet18() with { Block = BlockType.SelectiveKernelBasic }));
        Assert.Throws<ArgumentException>(() => new ResNet(ResNets.ResNet18() with { Avd = true }));
        Assert.Throws<ArgumentException>(() => ResNets.Cifar(21));
        Assert.Throws<ArgumentException>(() => Placement.OnStages(c => new Marker(c), 0));
        var ex = Assert.Throws<ArgumentException>(() => new ResNet(ResNets.ResNet50() with { Layers = [3, 4, 1, 3], AfterBlock = Placement.BeforeLastBlock(3, c => new Marker(c)) }));
        Assert.Contains("stage 3", ex.Message);
        using var model = new ResNet(ResNets.Cifar(8, inChannels: 1));
        using var scope = Tensor.Scope();
        ex = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros([1, 3, 8, 8])));
        Assert.Contains("[1, 3, 8, 8]", ex.Message);
    }

    private static BlockHook Record(List<BlockSite> sites, BlockHook inner) => site =>
    {
        var m = inner(site);
        if (m is not null) sites.Add(site);
        return m;
    };

    private static Dictionary<string, Marker> Markers(Module model) =>
        model.NamedModules().Where(m => m.module is Marker).ToDictionary(m => m.name, m => (Marker)m.module);

    /// <summary>An identity that remembers its channels and counts its calls.</summary>
    private sealed class Marker(int channels) : Module
    {
        public int Channels { get; } = channels;
        public int Calls { get; private set; }

        public override Tensor Forward(Tensor x)
        {
            Assert.Equal(Channels, x.Shape[1]);
            Calls++;
            return x;
        }
    }

    private sealed class Zeroed : Module
    {
        private readonly Conv2d _conv;

        public Zeroed(int channels)
        {
            _conv = Register("conv", new Conv2d(channels, channels, 1));
            _conv.Weight.Span.Clear();
        }

        public override Tensor Forward(Tensor x) => _conv.Forward(x);
    }
}
