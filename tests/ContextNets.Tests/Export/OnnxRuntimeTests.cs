using ContextNets.Tests.Support;
using ContextNets.Export;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Data;
using Xunit.Abstractions;

namespace ContextNets.Tests.Export;

/// <summary>
/// ONNX Runtime (CPU) runs the exported graphs and must give our eval forward's outputs to 1e-4 relative:
/// max_i |ort_i - ours_i| &lt;= 1e-4 * max_i |ours_i|, the error taken over the whole output and measured against the
/// largest magnitude of ours (so a near-zero logit is not held to a relative bound it cannot meet). Weights are
/// randomized where the initialization leaves a path silent, and BatchNorm statistics are non-trivial.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class OnnxRuntimeTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>The issue's four ImageNet models at 1x3x64x64, with BatchNorm folded (the default) and, for one, kept as nodes.</summary>
    [Theory]
    [InlineData("resnet50", 17, true)]
    [InlineData("gcresnet50", 17, true)]
    [InlineData("gcresnet50", 13, true)]
    [InlineData("nlresnet50", 17, true)]
    [InlineData("resnest50d", 17, true)]
    [InlineData("resnest50d", 15, false)]
    public void ImageNetModelsMatchOnnxRuntime(string name, int opset, bool fold)
    {
        using var model = Zoo.Create(name, seed: 1);
        OnnxCases.Randomize(model, 11);
        int[] shape = [1, 3, 64, 64];
        var path = OnnxCases.Export(model, _tmp.Path, name, new OnnxExportOptions { InputShape = shape, Opset = opset, FoldBatchNorm = fold });
        Compare($"{name} opset {opset}{(fold ? "" : " BN kept")}", model, path, shape, 3);
        File.Delete(path);
    }

    public static TheoryData<string> CifarNames() => [.. Zoo.Names.Where(n => Zoo.Entry(n).InputSize == 28)];

    /// <summary>The Fashion-MNIST resnet20 family, exported with a dynamic batch at batch 2 and run at batches 1 and 5.</summary>
    [Theory]
    [MemberData(nameof(CifarNames))]
    public void Resnet20FamilyMatchesOnnxRuntimeAtTwoBatchSizes(string name)
    {
        using var model = Zoo.Create(name, seed: 2);
        OnnxCases.Randomize(model, 12);
        var path = OnnxCases.Export(model, _tmp.Path, name, new OnnxExportOptions { InputShape = new Shape(2, 1, 28, 28), DynamicBatch = true });
        Compare(name, model, path, [1, 1, 28, 28], 4);
        Compare(name, model, path, [5, 1, 28, 28], 5);
    }

    public static TheoryData<int> BlockIndices() => [.. Enumerable.Range(0, OnnxCases.Blocks.Length)];

    /// <summary>Every block and mode, with a dynamic batch at batch 1 and 3, at opsets 17 (LayerNormalization) and 13 (its decomposition), BatchNorm folded or not.</summary>
    [Theory]
    [MemberData(nameof(BlockIndices))]
    public void EveryBlockMatchesOnnxRuntime(int index)
    {
        var c = OnnxCases.Blocks[index];
        Initializers.Seed(index);
        using var block = c.Create();
        OnnxCases.Randomize(block, 100 + index);
        foreach (var (opset, fold) in new[] { (17, true), (13, false) })
        {
            var path = OnnxCases.Export(block, _tmp.Path, $"{c.Kind}{index}-{opset}", new OnnxExportOptions { InputShape = c.Input, Opset = opset, DynamicBatch = true, FoldBatchNorm = fold });
            int[] one = [1, .. c.Input[1..]], three = [3, .. c.Input[1..]];
            Compare($"{c} opset {opset}", block, path, one, 6);
            Compare($"{c} opset {opset}", block, path, three, 7);
        }
        // The comparison means something only if the block is not an identity on its input.
        var x = OnnxCases.Input(c.Input, 9);
        var (y, shape) = OnnxCases.Forward(block, x, c.Input);
        if (shape.SequenceEqual(c.Input)) Assert.True(OnnxCases.RelativeError(y, x) > 1e-2, $"{c}: the block's output is its input");
    }

    /// <summary>A small ResNet-D with odd sizes, where the avg-down shortcut's ceil-mode pooling has a partial last window.</summary>
    [Fact]
    public void CeilModePoolingAtOddSizesMatchesOnnxRuntime()
    {
        var config = ResNets.ResNet50D(10) with { Layers = [1, 1, 1], Channels = [8, 16, 32], StemWidth = 8 };
        Initializers.Seed(3);
        using var model = new ResNet(config);
        OnnxCases.Randomize(model, 13);
        int[] shape = [2, 3, 45, 37];
        var path = OnnxCases.Export(model, _tmp.Path, "resnet-d-odd", new OnnxExportOptions { InputShape = shape });
        Compare("small resnet-d 45x37", model, path, shape, 8);
    }

    private void Compare(string what, Module model, string path, int[] shape, int seed) =>
        OnnxCases.AssertMatches(tools, output, what, model, path, shape, seed, Tolerance);
}
