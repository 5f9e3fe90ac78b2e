using ContextNets.Autograd;
using ContextNets.Import;
using ContextNets.Tests.Export;
using Xunit.Abstractions;

namespace ContextNets.Tests.Import;

/// <summary>
/// A real pretrained network from outside: the ML.NET ResNet-18 (CNTK 2.6, opset 8, asymmetric pads, 512-d pool5
/// output) and its preprocessing graph (Split, Concat, Sub), imported and run by us against ONNX Runtime's CPU
/// provider on the same file, to 1e-4 relative (max |ours - ort| / max |ort|), trained and prepared forms alike.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
public sealed class PretrainedImportTests(OnnxTools tools, ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    /// <summary>RGB values in [0, 255], as the featurizer is fed, at the file's declared 224 x 224.</summary>
    private static float[] Pixels(int[] shape, int seed)
    {
        var rng = new Random(seed);
        var x = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 255);
        return x;
    }

    [Fact]
    public void PreprocessingGraphMatchesOnnxRuntime()
    {
        using var model = OnnxModel.Load(PretrainedFiles.Preprocess);
        model.Eval();
        Assert.Equal(8, model.Opset);
        int[] shape = [1, 3, 224, 224];
        var x = Pixels(shape, 1);
        Compare("ResNetPreprocess", model, PretrainedFiles.Preprocess, x, shape);
    }

    [Fact]
    public void ResNet18MatchesOnnxRuntimeImportedAndPrepared()
    {
        using var model = OnnxModel.Load(PretrainedFiles.ResNet18);
        model.Eval();
        Assert.Equal(8, model.Opset);
        // 22 convs, 22 BNs' scales and biases, 22 BNs' running statistics as buffers.
        Assert.Equal(22 * 3, model.Parameters().Count());
        Assert.Equal(22 * 2, model.NamedBuffers().Count());
        int[] shape = [1, 3, 224, 224];
        // What the featurizer's own pipeline feeds the network: the preprocessed image.
        using var prep = OnnxModel.Load(PretrainedFiles.Preprocess);
        prep.Eval();
        float[] x;
        using (Tensor.Scope())
        using (GradMode.NoGrad())
        {
            using var pixels = Tensor.FromArray(Pixels(shape, 2), shape);
            x = prep.Forward(pixels).ToArray();
        }
        var (theirs, theirShape) = tools.Run(PretrainedFiles.ResNet18, x, shape);
        Assert.Equal([1, 512, 1, 1], theirShape);
        Assert.Equal(512, theirs.Length);
        using var prepared = model.Prepare();
        Assert.Equal(22, prepared.FoldedCount);
        foreach (var (what, run) in new (string, Func<Tensor, Tensor>)[] { ("imported", model.Forward), ("prepared", prepared.Predict) })
        {
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            using var input = Tensor.FromArray(x, shape);
            var y = run(input);
            Assert.Equal(theirShape, y.Shape.Dims.ToArray());
            double err = OnnxCases.RelativeError(theirs, y.ToArray());
            output.WriteLine($"ResNet18 {what}: max |ours - ort| / max |ort| = {err:G3} (scale {theirs.Max(Math.Abs):G4})");
            Assert.True(err <= Tolerance, $"ResNet18 {what} differs from ONNX Runtime by {err:G3} of the output's scale.");
        }
    }

    private void Compare(string what, OnnxModel model, string path, float[] x, int[] shape)
    {
        var (theirs, theirShape) = tools.Run(path, x, shape);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        using var input = Tensor.FromArray(x, shape);
        var y = model.Forward(input);
        Assert.Equal(theirShape, y.Shape.Dims.ToArray());
        double err = OnnxCases.RelativeError(theirs, y.ToArray());
        output.WriteLine($"{what}: max |ours - ort| / max |ort| = {err:G3}");
        Assert.True(err <= Tolerance, $"{what} differs from ONNX Runtime by {err:G3} of the output's scale.");
    }
}
