using ContextNets.Export;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Export;

/// <summary>
/// The video networks exported to ONNX and run by ONNX Runtime (CPU, in process) must give our eval forward's logits
/// to 1e-4 of their scale, on small clips: 3-D convs (full, no-time, (2+1)D), 3-D max pools, BatchNorm on clips, the
/// NL block on clips (with an odd frame height, where the per-frame pooling drops a row) and the GC block on the
/// folded clip. Weights and BatchNorm statistics are randomized so that no block is an identity.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class VideoOnnxRuntimeTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>With <paramref name="fold"/> every BN after a 3-D conv is folded into it (the default); without, each is a BatchNormalization node.</summary>
    [Theory]
    [InlineData("r3d_18", 3, 32, true)]
    [InlineData("r3d_18", 3, 32, false)]
    [InlineData("r2plus1d_18", 3, 32, true)]
    [InlineData("i3d_resnet50_nl5", 3, 32, true)]
    [InlineData("i3d_resnet50_gc", 3, 32, true)]
    [InlineData("c2d_small", 1, 48, false)]
    [InlineData("i3d_small_nl", 1, 48, true)]
    public void VideoNetworksMatchOnnxRuntime(string name, int channels, int side, bool fold)
    {
        using var model = VideoZoo.Create(name, numClasses: 7, inChannels: channels, seed: 1);
        OnnxCases.Randomize(model, 21);
        int[] shape = [2, channels, name.Contains("small", StringComparison.Ordinal) ? 8 : 4, side, side];
        var path = OnnxCases.Export(model, _tmp.Path, name, new OnnxExportOptions { InputShape = shape, Opset = 17, FoldBatchNorm = fold });
        var norms = ContextNets.Export.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Count(n => n.OpType == "BatchNormalization");
        int expected = fold ? 0 : model.NamedModules().Count(m => m.module is BatchNorm3d);
        Assert.Equal(expected, norms);
        OnnxCases.AssertMatches(tools, output, $"{name}{(fold ? "" : " (BN unfolded)")}", model, path, shape, 5, Tolerance);
        File.Delete(path);
    }

    [Fact]
    public void TheThreeDimensionalLayerModulesMatchOnnxRuntime()
    {
        Initializers.Seed(5);
        using var layers = new Sequential(
            new Conv3d(3, 8, (3, 3, 3), (1, 2, 2), (1, 1, 1)), new BatchNorm3d(8), Lambda.Relu(),
            new AvgPool3d((2, 3, 3), (1, 2, 2), (1, 1, 1), countIncludePad: false),
            new AvgPool3d((3, 2, 2), (2, 1, 1), (1, 0, 1)),
            new MaxPool3d((2, 2, 2), (1, 1, 1), (1, 1, 0)),
            new GlobalAvgPool3d());
        OnnxCases.Randomize(layers, 23);
        int[] shape = [2, 3, 5, 13, 11];
        var path = OnnxCases.Export(layers, _tmp.Path, "layers3d", new OnnxExportOptions { InputShape = shape, Opset = 17 });
        OnnxCases.AssertMatches(tools, output, "3-D layers", layers, path, shape, 8, Tolerance);
    }

    [Fact]
    public void TheNonLocalBlockOnAClipWithAnOddFrameHeightMatchesOnnxRuntime()
    {
        Initializers.Seed(4);
        using var block = new ContextNets.Attention.NonLocal(16, subSample: true, useScale: true, norm: true);
        OnnxCases.Randomize(block, 22);
        int[] shape = [2, 16, 3, 5, 4];
        var path = OnnxCases.Export(block, _tmp.Path, "nl3d", new OnnxExportOptions { InputShape = shape, Opset = 17, FoldBatchNorm = false });
        OnnxCases.AssertMatches(tools, output, "NL on a clip", block, path, shape, 6, Tolerance);
        var x = OnnxCases.Input(shape, 6);
        Assert.True(OnnxCases.RelativeError(OnnxCases.Forward(block, x, shape).values, x) > 1e-2, "the block's output is its input");
    }
}
