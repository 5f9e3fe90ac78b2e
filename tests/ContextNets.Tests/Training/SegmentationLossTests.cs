using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Segmentation;
using ContextNets.NN;
using ContextNets.Tests.Ops;
using ContextNets.Tests.Reference;
using ContextNets.Training.Segmentation;

namespace ContextNets.Tests.Training;

/// <summary>
/// The training loss with an aux head, torchvision's `out + W * aux`: its value against the float64 cross-entropy of
/// the segmenter's own `out` and `aux` scores, and its gradient split between the heads by W (the classifier sees
/// `out`'s gradient alone, the aux classifier W times `aux`'s).
/// </summary>
public class SegmentationLossTests
{
    private const int Ignore = 255, Side = 32, Classes = 3;

    /// <summary>A ResNet-18 an eighth as wide with an FCN and its aux head, in eval mode so that two forwards agree (no dropout).</summary>
    private static Segmenter Model(bool aux)
    {
        using var seeded = Initializers.Seeded(5);
        var body = new ResNet((ResNets.ResNet18(numClasses: 0) with { Channels = [8, 16, 32, 64], StemWidth = 8 }).WithOutputStride(16));
        var model = new Segmenter(body, SegmentationHead.Fcn, Classes, aux);
        model.Eval();
        return model;
    }

    private static (Tensor Images, int[] Labels) Batch()
    {
        var images = Tensor.FromArray([.. RefTensor.Random([2, 3, Side, Side], seed: 7).Data.Select(v => (float)v)], 2, 3, Side, Side);
        var rng = new Random(9);
        var labels = new int[2 * Side * Side];
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.Next(6) == 0 ? Ignore : rng.Next(Classes);
        return (images, labels);
    }

    private static Dictionary<string, float[]> Gradients(Segmenter model, Func<Tensor> loss)
    {
        model.ZeroGrad();
        using (var scope = Tensor.Scope()) loss().Backward();
        return model.NamedParameters().Where(p => p.tensor.Grad is not null).ToDictionary(p => p.name, p => p.tensor.Grad!.ToArray());
    }

    [Fact]
    public void TheLossIsOutPlusWeightTimesAuxOfTheSegmentersOwnScores()
    {
        using var model = Model(aux: true);
        using var scope = Tensor.Scope();
        var (images, labels) = Batch();
        double expected;
        using (GradMode.NoGrad())
        {
            var (output, aux) = model.ForwardWithAux(images);
            expected = PixelCrossEntropyTests.RefLoss(RefTensor.From(output), labels) + 0.4 * PixelCrossEntropyTests.RefLoss(RefTensor.From(aux!), labels);
        }
        double loss = SegmentationLoss.Compute(model, images, labels, 0.4).Item();
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * expected, $"loss {loss} against {expected}");
    }

    [Fact]
    public void TheAuxHeadGetsWeightTimesTheAuxGradientAndTheClassifierTheOutGradientAlone()
    {
        using var model = Model(aux: true);
        using var scope = Tensor.Scope();
        var (images, labels) = Batch();
        var both = Gradients(model, () => SegmentationLoss.Compute(model, images, labels, 0.4));
        var outOnly = Gradients(model, () => F.PixelCrossEntropy(model.ForwardWithAux(images).Out, labels, Ignore));
        var auxOnly = Gradients(model, () => F.PixelCrossEntropy(model.ForwardWithAux(images).Aux!, labels, Ignore));
        Assert.Contains(both.Keys, k => k.StartsWith("aux_classifier.", StringComparison.Ordinal));
        foreach (var (name, g) in both)
        {
            float[] expected = name.StartsWith("aux_classifier.", StringComparison.Ordinal) ? [.. auxOnly[name].Select(v => 0.4f * v)]
                : name.StartsWith("classifier.", StringComparison.Ordinal) ? outOnly[name]
                : [.. outOnly[name].Zip(auxOnly.GetValueOrDefault(name, new float[g.Length]), (o, a) => o + 0.4f * a)];
            double scale = expected.Max(v => Math.Abs(v)) + 1e-12;
            for (int i = 0; i < g.Length; i++)
                Assert.True(Math.Abs(g[i] - expected[i]) <= 1e-4 * scale, $"{name}[{i}]: {g[i]} against {expected[i]}");
        }
    }

    [Fact]
    public void WeightZeroTrainsOutAloneAndAPositiveWeightNeedsTheAuxHead()
    {
        using var withAux = Model(aux: true);
        using var plain = Model(aux: false);
        using var scope = Tensor.Scope();
        var (images, labels) = Batch();
        var grads = Gradients(withAux, () => SegmentationLoss.Compute(withAux, images, labels, 0));
        Assert.DoesNotContain(grads.Keys, k => k.StartsWith("aux_classifier.", StringComparison.Ordinal));
        var e = Assert.Throws<ArgumentException>(() => SegmentationLoss.Compute(plain, images, labels, 0.5));
        Assert.Contains("aux head", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SegmentationLoss.Compute(withAux, images, labels, -1));
    }
}
