using ContextNets.Export;
using ContextNets.Models.Segmentation;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Export;

/// <summary>
/// The segmenters exported to ONNX pass onnx's full check and, run by ONNX Runtime (CPU, in process), give our eval
/// forward's `out` to 1e-4 of its scale at small, odd and non-square sizes: FCN, DeepLabV3 (ASPP with its image
/// pooling), the CCNet head (ABN, the criss-cross passes with gamma drawn away from 0, the concatenation), a ResNet-D
/// split-attention body at output stride 8 (same-padded avg-down pools), a symbolic batch, and bilinear upsampling to
/// the input's size. Weights and BatchNorm statistics are randomized so that no block is an identity.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class SegmenterOnnxRuntimeTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("fcn_resnet18", false, 37, 45, 17)]
    [InlineData("deeplabv3_resnet18", false, 40, 33, 13)]
    [InlineData("ccnet_resnet18", true, 35, 41, 17)]
    [InlineData("deeplabv3_resnest14d", false, 36, 36, 17)]
    public void SegmentersMatchOnnxRuntime(string name, bool aux, int height, int width, int opset)
    {
        Segmenter model;
        using (Initializers.SkipRandom()) model = Segmenters.Create(name, classes: 5, aux: aux);
        using (model)
        {
            OnnxCases.Randomize(model, 31);
            var path = OnnxCases.Export(model, _tmp.Path, name, new OnnxExportOptions { InputShape = new Shape(1, 3, height, width), Opset = opset, DynamicBatch = true });
            Assert.Null(tools.Check(path));
            OnnxCases.AssertMatches(tools, output, name, model, path, [2, 3, height, width], 7, Tolerance);
            File.Delete(path);
        }
    }
}
