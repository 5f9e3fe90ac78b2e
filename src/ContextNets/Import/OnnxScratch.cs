using ContextNets.NN;

namespace ContextNets.Import;

/// <summary>
/// An imported graph with its trained weights replaced by fresh ones, as torchvision initializes a ResNet, so that the
/// same network can be trained from scratch against its fine-tuned self: convolution kernels Kaiming-normal over the
/// fan-out, other matrices uniform over the fan-in, biases 0, BatchNorm scale 1 and shift 0 with running mean 0 and
/// variance 1. Float constants that are not weights (a Constant node's mean image) keep their values.
/// </summary>
public static class OnnxScratch
{
    public static void Reinitialize(OnnxModel model, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var norms = model.Ops.OfType<BatchNormOp>().ToList();
        var ones = norms.SelectMany(n => new[] { n.ScaleName, n.VarName }).ToHashSet(StringComparer.Ordinal);
        var zeros = norms.SelectMany(n => new[] { n.BiasName, n.MeanName }).ToHashSet(StringComparer.Ordinal);
        var weights = model.Map.Where(e => e.Kind == "parameter").Select(e => e.Source).Concat(ones).Concat(zeros).ToHashSet(StringComparer.Ordinal);
        using var seeded = Initializers.Seeded(seed);
        // In name order, so the draws do not depend on the file's order of initializers.
        foreach (var name in weights.Order(StringComparer.Ordinal))
        {
            var t = model.Tensors[name];
            var span = t.Span;
            if (ones.Contains(name)) span.Fill(1f);
            else if (zeros.Contains(name) || t.Rank < 2) span.Clear();
            else if (t.Rank == 4) Initializers.KaimingNormalFanOut(t.Shape[0] * t.Shape[2] * t.Shape[3])(span);
            else Initializers.FanIn(t.Shape[1])(span);
            t.Touch();
        }
    }
}
