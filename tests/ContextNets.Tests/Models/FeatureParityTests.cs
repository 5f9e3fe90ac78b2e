using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Models;

/// <summary>
/// Feature-map parity with PyTorch: torchvision's resnet50 built with replace_stride_with_dilation (and timm's
/// ResNet-D layout with its AvgPool2dSame shortcuts, written out in tests/python/make_features_case.py), random weights
/// and non-trivial BatchNorm, loaded strictly as headless backbones; every map (stem and stages) matches the float64
/// reference to 1e-4 of its scale, the criterion of <see cref="TorchvisionParityTests"/>.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public class FeatureParityTests(FeatureCases cases, ITestOutputHelper output) : IClassFixture<FeatureCases>
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData("resnet50", 8, 40)]
    [InlineData("resnet50", 16, 40)]
    [InlineData("resnet50d", 8, 37)]
    public void FeatureMapsMatchPyTorch(string backbone, int outputStride, int size)
    {
        string name = $"{backbone}_os{outputStride}";
        var (weights, io) = cases.Get(name, size);
        var config = ResNetParameterCountTests.Config(backbone) with { NumClasses = 0 };
        using var model = new ResNet(config.WithOutputStride(outputStride));
        // Strict: every key of the file and of the model must match, or Load throws naming them.
        model.Load(weights);
        model.Eval();

        var data = SafetensorsFile.Read(io);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var maps = model.ForwardFeatureMaps(data.Load("x"));
        foreach (var (info, map) in model.Features.Zip(maps))
        {
            var expected = data.Load(info.Module);
            Assert.Equal(expected.Shape.Dims.ToArray(), map.Shape.Dims.ToArray());
            float[] e = expected.ToArray(), a = map.ToArray();
            double scale = e.Max(v => Math.Abs((double)v)), worst = 0;
            for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs((double)a[i] - e[i]));
            output.WriteLine($"{name} {size}px {info.Module}: max error {worst / scale:G3} of the scale {scale:G4}");
            Assert.True(scale > 0.1, $"{name} {info.Module}: the reference map is degenerate (max {scale:G3}).");
            Assert.True(worst <= Tolerance * scale, $"{name} {info.Module}: max error {worst / scale:G3} of the scale {scale:G4} (tolerance {Tolerance:G2}).");
        }
    }
}
