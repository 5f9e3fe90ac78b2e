using ContextNets.IO;
using ContextNets.Models.Segmentation;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Models.Segmentation;

/// <summary>
/// Parity with torchvision 0.14's fcn_resnet50 and deeplabv3_resnet50, and with ccnet_resnet50 (the same frame with
/// the CCNet head of tests/python/ccnet_head.py, gamma 0.7) (5 classes, random weights, non-trivial BatchNorm), built
/// by Debian's PyTorch: the checkpoint loads strictly under torchvision's keys, and `out` (and `aux`)
/// match the float64 reference to 1e-4 of their scale, the criterion of <see cref="Models.TorchvisionParityTests"/>.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public class SegmenterParityTests(SegmentationCases cases, ITestOutputHelper output) : IClassFixture<SegmentationCases>
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData("fcn_resnet50", false, 36)]
    [InlineData("deeplabv3_resnet50", true, 36)]
    [InlineData("ccnet_resnet50", true, 36)]
    public void OutMatchesTorchvision(string name, bool aux, int size)
    {
        string caseName = aux ? name + "_aux" : name;
        var (weights, io) = cases.Get(caseName, size);
        using var model = Segmenters.Create(name, classes: 5, aux: aux);
        // Strict: every key of the file and of the model must match, or Load throws naming them.
        model.Load(weights);
        model.Eval();
        var data = SafetensorsFile.Read(io);
        using var x = data.Load("x");
        using var outputs = model.Run(x);
        foreach (var key in aux ? new[] { "out", "aux" } : ["out"])
        {
            using var expected = data.Load(key);
            var actual = outputs[key];
            Assert.Equal(expected.Shape.Dims.ToArray(), actual.Shape.Dims.ToArray());
            float[] e = expected.ToArray(), a = actual.ToArray();
            double scale = e.Max(v => Math.Abs((double)v)), worst = 0;
            for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs((double)a[i] - e[i]));
            output.WriteLine($"{caseName} {size}px {key}: max error {worst / scale:G3} of the scale {scale:G4}");
            Assert.True(scale > 0.1, $"{caseName} {key}: the reference is degenerate (max {scale:G3}).");
            Assert.True(worst <= Tolerance * scale, $"{caseName} {key}: max error {worst / scale:G3} of the scale {scale:G4} (tolerance {Tolerance:G2}).");
        }
    }
}
