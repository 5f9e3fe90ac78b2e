using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>
/// The backbones' multi-scale features (timm's features_only): feature_info as timm gives it, maps of those shapes in
/// one pass, dilation where torchvision puts it, and gradients through every map.
/// </summary>
public class FeatureMapTests
{
    // timm's resnet50 feature_info: act1 64 ch at 2, layer1..4 at 256/512/1024/2048 ch and 4/8/16/32; a dilated stage keeps the reduction before it.
    [Theory]
    [InlineData(32, new[] { 2, 4, 8, 16, 32 })]
    [InlineData(16, new[] { 2, 4, 8, 16, 16 })]
    [InlineData(8, new[] { 2, 4, 8, 8, 8 })]
    public void Resnet50FeatureInfoIsTimms(int outputStride, int[] reductions)
    {
        using var skip = Initializers.SkipRandom();
        using var body = Zoo.CreateBackbone("resnet50", outputStride);
        Assert.Equal(["act1", "layer1", "layer2", "layer3", "layer4"], body.Features.Select(f => f.Module));
        Assert.Equal([64, 256, 512, 1024, 2048], body.Features.Select(f => f.Channels));
        Assert.Equal(reductions, body.Features.Select(f => f.Reduction));
        Assert.Null(body.Classifier);
        Assert.DoesNotContain(body.StateDict().Keys, k => k.StartsWith("fc.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("gcresnet50t", 4, 4)]
    [InlineData("resnest14d", 2, 4)]
    [InlineData("resnet20", 1, 1)]
    public void StemReductionFollowsTheStem(string name, int stem, int firstStage)
    {
        using var skip = Initializers.SkipRandom();
        using var body = Zoo.CreateBackbone(name);
        Assert.Equal(stem, body.Features[0].Reduction);
        Assert.Equal(firstStage, body.Features[1].Reduction);
    }

    // torchvision's _make_layer at output stride 8: layer3's first block keeps the previous dilation (1), the rest take 2;
    // layer4's first block takes 2, the rest 4; and no conv in layer3 or layer4 strides.
    [Fact]
    public void DilationIsTorchvisionsPreviousDilationScheme()
    {
        using var skip = Initializers.SkipRandom();
        using var body = Zoo.CreateBackbone("resnet50", 8);
        var convs = body.NamedModules().Where(m => m.module is Conv2d).ToDictionary(m => m.name, m => (Conv2d)m.module);
        Assert.Equal((1, 1), (convs["layer3.0.conv2"].Dilation, convs["layer3.0.conv2"].Padding));
        Assert.Equal((2, 2), (convs["layer3.1.conv2"].Dilation, convs["layer3.1.conv2"].Padding));
        Assert.Equal((2, 2), (convs["layer4.0.conv2"].Dilation, convs["layer4.0.conv2"].Padding));
        Assert.Equal((4, 4), (convs["layer4.2.conv2"].Dilation, convs["layer4.2.conv2"].Padding));
        Assert.All(convs.Where(c => c.Key.StartsWith("layer3", StringComparison.Ordinal) || c.Key.StartsWith("layer4", StringComparison.Ordinal)),
            c => Assert.Equal(1, c.Value.Stride));
        Assert.Equal(2, convs["layer2.0.conv2"].Stride);
    }

    [Theory]
    [InlineData("resnest14d", 8)]
    public void EveryMapHasItsInfoShapeAndGradientsReachTheStem(string name, int outputStride)
    {
        using var scope = Tensor.Scope();
        using var body = Zoo.CreateBackbone(name, outputStride, seed: 1);
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 3 * 32 * 32).Select(i => MathF.Sin(i * 0.37f)).ToArray(), [2, 3, 32, 32]);
        var maps = body.ForwardFeatureMaps(x);
        Assert.Equal(body.Features.Count, maps.Length);
        for (int i = 0; i < maps.Length; i++)
        {
            var info = body.Features[i];
            Assert.Equal([2, info.Channels, 32 / info.Reduction, 32 / info.Reduction], maps[i].Shape.Dims.ToArray());
        }
        var loss = F.Sum(maps[1]);
        foreach (var m in maps.Skip(2)) loss = F.Add(loss, F.Sum(m));
        loss.Backward();
        var stemGrad = body.NamedParameters().First().tensor.Grad;
        Assert.NotNull(stemGrad);
        Assert.Contains(stemGrad!.ToArray(), g => g != 0);
    }

    [Fact]
    public void OutIndicesPickMapsAndStopEarly()
    {
        using var scope = Tensor.Scope();
        using var body = Zoo.CreateBackbone("resnet20", seed: 2);
        body.Eval();
        var x = Tensor.FromArray(Enumerable.Range(0, 28 * 28).Select(i => MathF.Cos(i * 0.11f)).ToArray(), [1, 1, 28, 28]);
        var all = body.ForwardFeatureMaps(x);
        var some = body.ForwardFeatureMaps(x, [1, 3]);
        Assert.Equal(2, some.Length);
        Assert.Equal(all[1].ToArray(), some[0].ToArray());
        Assert.Equal(all[3].ToArray(), some[1].ToArray());
        Assert.Equal(all[3].ToArray(), body.ForwardFeatures(x).ToArray());
        Assert.Throws<ArgumentException>(() => body.ForwardFeatureMaps(x, [2, 1]));
        Assert.Throws<ArgumentException>(() => body.ForwardFeatureMaps(x, [4]));
    }

    [Theory]
    [InlineData("resnet50", 2)]
    [InlineData("resnet50", 12)]
    [InlineData("resnet50", 64)]
    [InlineData("resnet20", 8)]
    public void ImpossibleOutputStridesAreRefused(string name, int outputStride)
    {
        var e = Assert.Throws<ArgumentException>(() => Zoo.Config(name).WithOutputStride(outputStride));
        Assert.Contains("output stride", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AHeadlessBodyRefusesToClassify()
    {
        using var scope = Tensor.Scope();
        using var body = Zoo.CreateBackbone("resnet20");
        var x = Tensor.Zeros([1, 1, 28, 28]);
        Assert.Throws<InvalidOperationException>(() => body.Forward(x));
        Assert.Throws<ArgumentException>(() => body.Prepare());
    }
}
