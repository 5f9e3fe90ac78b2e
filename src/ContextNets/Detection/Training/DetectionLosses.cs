namespace ContextNets.Detection.Training;

/// <summary>The five losses of torchvision's Mask R-CNN in training, under its names, each a scalar tensor.</summary>
public sealed record DetectionLosses(Tensor Classifier, Tensor BoxReg, Tensor Mask, Tensor Objectness, Tensor RpnBoxReg)
{
    /// <summary>The names torchvision's loss dict gives them, in <see cref="All"/>'s order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"];

    public IReadOnlyList<Tensor> All => [Classifier, BoxReg, Mask, Objectness, RpnBoxReg];

    /// <summary>Their sum, which torchvision's reference recipe trains on.</summary>
    public Tensor Total() => F.Add(F.Add(F.Add(F.Add(Classifier, BoxReg), Mask), Objectness), RpnBoxReg);
}

/// <summary>
/// The two balanced samplers of a training run, torchvision's fg_bg_samplers: the RPN's over anchors and the box
/// head's over proposals, each on its own seeded stream.
/// </summary>
public sealed class DetectionSamplers(DetectorSettings settings, long seed)
{
    public BalancedSampler Rpn { get; } = new(settings.RpnBatchSizePerImage, settings.RpnPositiveFraction, seed);
    public BalancedSampler Box { get; } = new(settings.BoxBatchSizePerImage, settings.BoxPositiveFraction, seed + 1);
}
