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
        var x = OnnxCases.Input(shape, 5);
        var (ours, ourShape) = OnnxCases.Forward(model, x, shape);
        var (theirs, theirShape) = tools.Run(path, x, shape);
        File.Delete(path);
        Assert.Equal(ourShape, theirShape);
        double err = OnnxCases.RelativeError(ours, theirs);
        output.WriteLine($"{name} at {Shape.Format(shape)}: max |ort - ours| / max |ours| = {err:G3} (scale {ours.Max(v => Math.Abs(v)):G4})");
        Assert.True(err <= Tolerance, $"{name}: ONNX Runtime differs by {err:G3} of the logits' scale (tolerance {Tolerance:G2}).");
    }

    [Fact]
    public void TheNonLocalBlockOnAClipWithAnOddFrameHeightMatchesOnnxRuntime()
    {
        Initializers.Seed(4);
        using var block = new ContextNets.Attention.NonLocal(16, subSample: true, useScale: true, norm: true);
        OnnxCases.Randomize(block, 22);
        int[] shape = [2, 16, 3, 5, 4];
        var path = OnnxCases.Export(block, _tmp.Path, "nl3d", new OnnxExportOptions { InputShape = shape, Opset = 17, FoldBatchNorm = false });
        var x = OnnxCases.Input(shape, 6);
        var (ours, _) = OnnxCases.Forward(block, x, shape);
        var (theirs, theirShape) = tools.Run(path, x, shape);
        Assert.Equal(shape, theirShape);
        double err = OnnxCases.RelativeError(ours, theirs);
        output.WriteLine($"NL on {Shape.Format(shape)}: {err:G3}");
        Assert.True(err <= Tolerance, $"NL on a clip: ONNX Runtime differs by {err:G3} (tolerance {Tolerance:G2}).");
        Assert.True(OnnxCases.RelativeError(ours, x) > 1e-2, "the block's output is its input");
    }
}
