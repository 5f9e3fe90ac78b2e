using ContextNets.Export;
using ContextNets.Import;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Export;
using Xunit.Abstractions;

namespace ContextNets.Tests.Import;

/// <summary>
/// Every zoo architecture, exported to ONNX by us and imported back, must compute what the model computes, to 1e-5 of
/// the output's scale, with BatchNorm folded into the convs (the export's default) and, for the Fashion-MNIST family,
/// with BatchNormalization nodes kept, at small inputs (ImageNet models at 1 x 3 x 32 x 32) to keep the suite fast.
/// The ImageNet models run at a quarter of their widths: the same stages, blocks, attention and graph, with a
/// sixteenth of the weights, whose volume (tens of millions per model, copied through export and import) was what this
/// class spent its time on; the Fashion-MNIST models run as the zoo builds them. Weights are randomized (all of them:
/// the models skip their own initialization), so every node matters. Every block is checked the same way.
/// </summary>
public sealed class RoundTripTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> ZooNames() => [.. Zoo.Names];

    [Theory]
    [MemberData(nameof(ZooNames))]
    public void ZooModelRoundTripsThroughImport(string name)
    {
        var entry = Zoo.Entry(name);
        using var model = entry.InputSize == 28 ? OnnxCases.RandomModel(name, 21) : QuarterWidth(name);
        int size = Math.Min(entry.InputSize, 32);
        int[] shape = [1, entry.DefaultInChannels, size, size];
        Check(name, model, shape, new OnnxExportOptions { InputShape = shape, Opset = 17 }, 31);
        // BatchNormalization nodes are checked on the small models (and on every block below): the ImageNet
        // models' export is what costs here, and their BN nodes are the same op.
        if (entry.InputSize == 28)
            Check($"{name} BN kept", model, shape, new OnnxExportOptions { InputShape = shape, Opset = 17, FoldBatchNorm = false }, 31);
    }

    private static Module QuarterWidth(string name)
    {
        var config = Zoo.Config(name);
        Module model;
        using (Initializers.SkipRandom())
            model = new ResNet(config with { Channels = [.. config.Channels.Select(c => c / 4)], StemWidth = config.StemWidth / 4 });
        OnnxCases.Randomize(model, 21);
        return model;
    }

    public static TheoryData<int> BlockIndices() => [.. Enumerable.Range(0, OnnxCases.Blocks.Length)];

    [Theory]
    [MemberData(nameof(BlockIndices))]
    public void BlockRoundTripsThroughImport(int index)
    {
        var c = OnnxCases.Blocks[index];
        Initializers.Seed(index);
        using var block = c.Create();
        OnnxCases.Randomize(block, 200 + index);
        Check(c.ToString(), block, c.Input, new OnnxExportOptions { InputShape = c.Input, Opset = 17, DynamicBatch = true, FoldBatchNorm = false }, index);
    }

    private void Check(string what, Module model, int[] shape, OnnxExportOptions options, int seed)
    {
        var x = OnnxCases.Input(shape, seed);
        var (ours, ourShape) = OnnxCases.Forward(model, x, shape);
        using var imported = OnnxModel.Load(OnnxCases.Bytes(model, options), what);
        var (back, backShape) = OnnxCases.Forward(imported, x, shape);
        Assert.Equal(ourShape, backShape);
        double err = OnnxCases.RelativeError(ours, back);
        output.WriteLine($"{what} at {Shape.Format(shape)}: max |imported - ours| / max |ours| = {err:G3}");
        Assert.True(err <= Tolerance, $"{what}: the imported graph differs from the model by {err:G3} of the output's scale.");
    }
}
