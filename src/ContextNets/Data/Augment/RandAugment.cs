using ContextNets.Data.Transforms;

namespace ContextNets.Data.Augment;

/// <summary>
/// RandAugment (Cubuk et al. 2020) as torchvision's: <c>ops</c> times, an op is
/// drawn uniformly from the 14 below, at magnitude bin <c>magnitude</c> of
/// <c>bins</c>, negated on a coin flip for the signed ops.
/// </summary>
public sealed class RandAugment : IImageTransform
{
    public static IReadOnlyList<AugmentOp> Ops { get; } =
    [
        AugmentOp.Identity, AugmentOp.ShearX, AugmentOp.ShearY, AugmentOp.TranslateX, AugmentOp.TranslateY, AugmentOp.Rotate,
        AugmentOp.Brightness, AugmentOp.Color, AugmentOp.Contrast, AugmentOp.Sharpness, AugmentOp.Posterize, AugmentOp.Solarize,
        AugmentOp.AutoContrast, AugmentOp.Equalize,
    ];

    public RandAugment(int ops = 2, int magnitude = 9, int bins = 31)
    {
        if (ops < 0 || bins < 2 || magnitude < 0 || magnitude >= bins)
            throw new ArgumentException($"RandAugment needs ops >= 0 and 0 <= magnitude < bins, got ops {ops}, magnitude {magnitude}, bins {bins}.");
        NumOps = ops;
        MagnitudeBin = magnitude;
        Bins = bins;
    }

    public int NumOps { get; }
    public int MagnitudeBin { get; }
    public int Bins { get; }

    public Image8 Apply(Image8 image, Rng rng)
    {
        for (int i = 0; i < NumOps; i++)
        {
            var op = Ops[rng.NextInt(Ops.Count)];
            var (magnitude, signed) = AugmentOps.Magnitude(op, MagnitudeBin, Bins, image.Height, image.Width);
            if (double.IsNaN(magnitude)) magnitude = 0;
            if (signed && rng.NextInt(2) == 1) magnitude = -magnitude;
            image = AugmentOps.Apply(image, op, magnitude);
        }
        return image;
    }

    public override string ToString() => $"RandAugment(n={NumOps}, m={MagnitudeBin}/{Bins})";
}
