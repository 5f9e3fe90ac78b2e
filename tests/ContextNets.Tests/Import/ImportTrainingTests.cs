using ContextNets.Export;
using ContextNets.Import;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Export;
using Xunit.Abstractions;

namespace ContextNets.Tests.Import;

/// <summary>
/// An imported graph trains like the model it came from: a zoo model exported with its BatchNormalization nodes kept
/// and imported back has the model's parameters under the same names, and in training mode (batch statistics) its
/// output, every parameter's gradient of sum(y * g), and the BatchNorm running statistics after the step equal the
/// model's own to 1e-4 of each tensor's scale. The model's autograd is the reference, checked against finite
/// differences and PyTorch elsewhere in the suite.
/// </summary>
public sealed class ImportTrainingTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData("gc_resnet20")]
    [InlineData("nl_resnet20")]
    [InlineData("splat_resnet20")]
    public void ImportedGraphHasTheModelsGradientsAndStatistics(string name)
    {
        Initializers.Seed(8);
        using var model = Zoo.Create(name, numClasses: 5);
        OnnxCases.Randomize(model, 8);
        int[] shape = [3, 1, 12, 12];
        using var imported = OnnxModel.Load(OnnxCases.Bytes(model, new OnnxExportOptions { InputShape = shape, Opset = 17, FoldBatchNorm = false }), name);
        // The exporter's own constants (a divisor, a scale) are initializers too, so the import has them as well.
        var extra = imported.StateDict().Keys.Except(model.StateDict().Keys).ToList();
        Assert.Empty(model.StateDict().Keys.Except(imported.StateDict().Keys));
        Assert.All(extra, k => Assert.StartsWith("const_", k));

        var x = OnnxCases.Input(shape, 3);
        var (ours, ourGrads) = Step(model, x, shape);
        var (theirs, theirGrads) = Step(imported, x, shape);
        Report($"{name} output", ours, theirs);
        // A gradient that is zero by construction (a bias before a training-mode BatchNorm, a shift of softmax
        // logits) is rounding noise in both, of any relative size: a gradient below 1e-4 of the model's largest
        // counts as zero, and the import's must be below that too.
        double largest = ourGrads.Values.Max(g => g.Max(v => Math.Abs(v)));
        foreach (var (key, g) in ourGrads)
        {
            if (g.Max(v => Math.Abs(v)) > Tolerance * largest) Report($"{name} grad {key}", g, theirGrads[key]);
            else Assert.True(theirGrads[key].Max(v => Math.Abs(v)) <= Tolerance * largest, $"{name} grad {key}: zero in the model, not in the import");
        }
        foreach (var (key, t) in model.NamedBuffers()) Report($"{name} {key}", t.ToArray(), imported.StateDict()[key].ToArray());
    }

    private void Report(string what, float[] expected, float[] actual)
    {
        double err = OnnxCases.RelativeError(expected, actual);
        if (err > Tolerance / 10) output.WriteLine($"{what}: {err:G3}");
        Assert.True(err <= Tolerance, $"{what}: the imported graph differs by {err:G3} of the scale.");
    }

    private static (float[] y, Dictionary<string, float[]> grads) Step(Module m, float[] x, int[] shape)
    {
        m.Train();
        m.ZeroGrad();
        using var scope = Tensor.Scope();
        var y = m.Forward(Tensor.FromArray(x, shape));
        var g = Tensor.Randn(y.Shape, 4);
        F.Sum(F.Mul(y, g)).Backward();
        return (y.ToArray(), m.NamedParameters().ToDictionary(p => p.name, p => p.tensor.Grad?.ToArray() ?? new float[p.tensor.Numel]));
    }
}
