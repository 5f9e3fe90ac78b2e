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

    [Theory]
    [InlineData("r3d_18", 3, 32)]
    [InlineData("r2plus1d_18", 3, 32)]
    [InlineData("i3d_resnet50_nl5", 3, 32)]
    [InlineData("i3d_resnet50_gc", 3, 32)]
    [InlineData("c2d_small", 1, 48)]
    [InlineData("i3d_small_nl", 1, 48)]
    public void VideoNetworksMatchOnnxRuntime(string name, int channels, int side)
    {
        using var model = VideoZoo.Create(name, numClasses: 7, inChannels: channels, seed: 1);
        OnnxCases.Randomize(model, 21);
        int[] shape = [2, channels, name.Contains("small", StringComparison.Ordinal) ? 8 : 4, side, side];
        var path = OnnxCases.Export(model, _tmp.Path, name, new OnnxExportOptions { InputShape = shape, Opset = 17 });
        OnnxCases.AssertMatches(tools, output, name, model, path, shape, 5, Tolerance);
        File.Delete(path);
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
