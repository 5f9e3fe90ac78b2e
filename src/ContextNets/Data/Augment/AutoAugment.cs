using ContextNets.Data.Transforms;

namespace ContextNets.Data.Augment;

/// <summary>
/// AutoAugment with the ImageNet policy (Cubuk et al. 2019), as torchvision's
/// AutoAugment: a sub-policy is drawn uniformly, then two probabilities and
/// two signs; each of its two ops runs when its probability draw is at most
/// the op's p, at its magnitude bin of 10, negated when its sign draw is 0.
/// </summary>
public sealed class AutoAugment : IImageTransform
{
    public const int Bins = 10;

    public static IReadOnlyList<((AugmentOp op, double p, int? bin) first, (AugmentOp op, double p, int? bin) second)> ImageNetPolicy { get; } =
    [
        ((AugmentOp.Posterize, 0.4, 8), (AugmentOp.Rotate, 0.6, 9)),
        ((AugmentOp.Solarize, 0.6, 5), (AugmentOp.AutoContrast, 0.6, null)),
        ((AugmentOp.Equalize, 0.8, null), (AugmentOp.Equalize, 0.6, null)),
        ((AugmentOp.Posterize, 0.6, 7), (AugmentOp.Posterize, 0.6, 6)),
        ((AugmentOp.Equalize, 0.4, null), (AugmentOp.Solarize, 0.2, 4)),
        ((AugmentOp.Equalize, 0.4, null), (AugmentOp.Rotate, 0.8, 8)),
        ((AugmentOp.Solarize, 0.6, 3), (AugmentOp.Equalize, 0.6, null)),
        ((AugmentOp.Posterize, 0.8, 5), (AugmentOp.Equalize, 1.0, null)),
        ((AugmentOp.Rotate, 0.2, 3), (AugmentOp.Solarize, 0.6, 8)),
        ((AugmentOp.Equalize, 0.6, null), (AugmentOp.Posterize, 0.4, 6)),
        ((AugmentOp.Rotate, 0.8, 8), (AugmentOp.Color, 0.4, 0)),
        ((AugmentOp.Rotate, 0.4, 9), (AugmentOp.Equalize, 0.6, null)),
        ((AugmentOp.Equalize, 0.0, null), (AugmentOp.Equalize, 0.8, null)),
        ((AugmentOp.Invert, 0.6, null), (AugmentOp.Equalize, 1.0, null)),
        ((AugmentOp.Color, 0.6, 4), (AugmentOp.Contrast, 1.0, 8)),
        ((AugmentOp.Rotate, 0.8, 8), (AugmentOp.Color, 1.0, 2)),
        ((AugmentOp.Color, 0.8, 8), (AugmentOp.Solarize, 0.8, 7)),
        ((AugmentOp.Sharpness, 0.4, 7), (AugmentOp.Invert, 0.6, null)),
        ((AugmentOp.ShearX, 0.6, 5), (AugmentOp.Equalize, 1.0, null)),
        ((AugmentOp.Color, 0.4, 0), (AugmentOp.Equalize, 0.6, null)),
        ((AugmentOp.Equalize, 0.4, null), (AugmentOp.Solarize, 0.2, 4)),
        ((AugmentOp.Solarize, 0.6, 5), (AugmentOp.AutoContrast, 0.6, null)),
        ((AugmentOp.Invert, 0.6, null), (AugmentOp.Equalize, 1.0, null)),
        ((AugmentOp.Color, 0.6, 4), (AugmentOp.Contrast, 1.0, 8)),
        ((AugmentOp.Equalize, 0.8, null), (AugmentOp.Equalize, 0.6, null)),
    ];

    public Image8 Apply(Image8 image, Rng rng)
    {
        var (first, second) = ImageNetPolicy[rng.NextInt(ImageNetPolicy.Count)];
        double p0 = rng.NextDouble(), p1 = rng.NextDouble();
        int s0 = rng.NextInt(2), s1 = rng.NextInt(2);
        image = Step(image, first, p0, s0);
        return Step(image, second, p1, s1);
    }

    private static Image8 Step(Image8 image, (AugmentOp op, double p, int? bin) step, double draw, int sign)
    {
        if (draw > step.p) return image;
        double magnitude = 0;
        if (step.bin is int bin)
        {
            (magnitude, bool signed) = AugmentOps.Magnitude(step.op, bin, Bins, image.Height, image.Width);
            if (signed && sign == 0) magnitude = -magnitude;
        }
        return AugmentOps.Apply(image, step.op, magnitude);
    }

    public override string ToString() => "AutoAugment(imagenet)";
}
