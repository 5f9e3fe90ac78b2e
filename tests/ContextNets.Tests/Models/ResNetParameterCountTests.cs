using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>Parameter counts against the published ones (torchvision exactly, timm to the 0.01M it prints).</summary>
public class ResNetParameterCountTests
{
    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet34", 21_797_672)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("resnet101", 44_549_160)]
    [InlineData("resnext50_32x4d", 25_028_904)]
    [InlineData("resnet50d", 25_576_264)]
    public void ImageNetResNetsHaveThePublishedCounts(string name, long expected)
    {
        using var skip = Initializers.SkipRandom();
        using var model = new ResNet(Config(name));
        Assert.Equal(expected, model.ParameterCount);
    }

    // timm prints these to 0.01M; the split-attention here is a stand-in with SplitAttn's parameter shapes.
    [Theory]
    [InlineData(new[] { 1, 1, 1, 1 }, 10.61)]
    [InlineData(new[] { 2, 2, 2, 2 }, 17.07)]
    [InlineData(new[] { 3, 4, 6, 3 }, 27.48)]
    public void ResNeStDHasTimmsCount(int[] layers, double millions)
    {
        using var skip = Initializers.SkipRandom();
        using var model = new ResNet(ResNets.ResNeStD(layers, StandInSplitAttention.Create));
        Assert.Equal(millions, Math.Round(model.ParameterCount / 1e6, 2));
    }

    [Fact]
    public void AttentionResNetsHaveThePublishedCounts()
    {
        using var skip = Initializers.SkipRandom();
        // timm seresnet50: SE after bn3 everywhere, 28.09M.
        using (var se = new ResNet(ResNets.ResNet50() with { AttentionAfterLastNorm = Placement.Everywhere(StandInAttention.SqueezeExcite) }))
            Assert.Equal(28_088_024, se.ParameterCount);
        // timm gcresnet50t: the ByobNet backbone with GC 'gca' (rd 1/8) after the 3x3 conv, 25.90M.
        using (var gct = new ResNet(ResNets.ResNet50TieredNoPool() with { AttentionAfterConv2 = Placement.Everywhere(c => StandInAttention.GlobalContextAdd(c, 8)) }))
            Assert.Equal(25.90, Math.Round(gct.ParameterCount / 1e6, 2));
        // GCNet paper: GC (add, r 16) after bn3 in c3-c5, 28.08M.
        using var gc = new ResNet(ResNets.ResNet50() with { AttentionAfterLastNorm = Placement.OnStages(c => StandInAttention.GlobalContextAdd(c, 16), 2, 3, 4) });
        Assert.Equal(28.08, Math.Round(gc.ParameterCount / 1e6, 2));
    }

    [Theory]
    [InlineData(new[] { 2, 2, 2, 2 }, 11.96)]
    [InlineData(new[] { 3, 4, 6, 3 }, 22.28)]
    public void SkResNetHasTimmsCount(int[] layers, double millions)
    {
        using var skip = Initializers.SkipRandom();
        using var model = new ResNet(ResNets.SkResNet(layers, StandInSelectiveKernel.Create));
        Assert.Equal(millions, Math.Round(model.ParameterCount / 1e6, 2));
    }

    // Option B shortcuts (1x1 conv + BN) add 2,752 parameters to the 269,722 of the paper's option A ResNet-20.
    [Theory]
    [InlineData(20, 3, 272_474)]
    [InlineData(20, 1, 272_186)]
    [InlineData(32, 3, 466_906)]
    [InlineData(56, 3, 855_770)]
    public void CifarResNetsCountTheirOptionBShortcuts(int depth, int inChannels, long expected)
    {
        using var model = new ResNet(ResNets.Cifar(depth, 10, inChannels));
        Assert.Equal(expected, model.ParameterCount);
    }

    internal static ResNetConfig Config(string name) => name switch
    {
        "resnet18" => ResNets.ResNet18(),
        "resnet34" => ResNets.ResNet34(),
        "resnet50" => ResNets.ResNet50(),
        "resnet101" => ResNets.ResNet101(),
        "resnext50_32x4d" => ResNets.ResNeXt50_32x4d(),
        "resnet50d" => ResNets.ResNet50D(),
        _ => throw new ArgumentException($"No test config named {name}."),
    };
}
