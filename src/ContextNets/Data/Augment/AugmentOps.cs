namespace ContextNets.Data.Augment;

public enum AugmentOp
{
    Identity,
    ShearX,
    ShearY,
    TranslateX,
    TranslateY,
    Rotate,
    Brightness,
    Color,
    Contrast,
    Sharpness,
    Posterize,
    Solarize,
    AutoContrast,
    Equalize,
    Invert,
}

/// <summary>
/// torchvision's _apply_op and augmentation space. A magnitude is signed
/// where the op allows it: shear m (out(x,y) = in(x + m y, y)), translate in
/// pixels (truncated to an integer), rotate in degrees, and the enhancers'
/// factor 1 + m. Posterize takes bits, Solarize a threshold.
/// </summary>
public static class AugmentOps
{
    public static Image8 Apply(Image8 image, AugmentOp op, double magnitude) => op switch
    {
        AugmentOp.Identity => image,
        AugmentOp.ShearX => Geometry.ShearX(image, magnitude),
        AugmentOp.ShearY => Geometry.ShearY(image, magnitude),
        AugmentOp.TranslateX => Geometry.Translate(image, (int)magnitude, 0),
        AugmentOp.TranslateY => Geometry.Translate(image, 0, (int)magnitude),
        AugmentOp.Rotate => Geometry.Rotate(image, magnitude),
        AugmentOp.Brightness => ColorOps.Brightness(image, (float)(1.0 + magnitude)),
        AugmentOp.Color => ColorOps.Color(image, (float)(1.0 + magnitude)),
        AugmentOp.Contrast => ColorOps.Contrast(image, (float)(1.0 + magnitude)),
        AugmentOp.Sharpness => ColorOps.Sharpness(image, (float)(1.0 + magnitude)),
        AugmentOp.Posterize => ColorOps.Posterize(image, (int)magnitude),
        AugmentOp.Solarize => ColorOps.Solarize(image, magnitude),
        AugmentOp.AutoContrast => ColorOps.AutoContrast(image),
        AugmentOp.Equalize => ColorOps.Equalize(image),
        AugmentOp.Invert => ColorOps.Invert(image),
        _ => throw new ArgumentException($"Unknown augmentation op {op}."),
    };

    /// <summary>The magnitude of bin <paramref name="bin"/> of <paramref name="bins"/> for an op on an image of the given size, and whether it takes a random sign; NaN for ops without one.</summary>
    public static (double magnitude, bool signed) Magnitude(AugmentOp op, int bin, int bins, int height, int width) => op switch
    {
        AugmentOp.ShearX or AugmentOp.ShearY => (Linspace(0f, 0.3f, bins, bin), true),
        AugmentOp.TranslateX => (Linspace(0f, (float)(150.0 / 331.0 * width), bins, bin), true),
        AugmentOp.TranslateY => (Linspace(0f, (float)(150.0 / 331.0 * height), bins, bin), true),
        AugmentOp.Rotate => (Linspace(0f, 30f, bins, bin), true),
        AugmentOp.Brightness or AugmentOp.Color or AugmentOp.Contrast or AugmentOp.Sharpness => (Linspace(0f, 0.9f, bins, bin), true),
        AugmentOp.Posterize => (8 - (int)Math.Round(bin / ((bins - 1) / 4.0), MidpointRounding.ToEven), false),
        AugmentOp.Solarize => (Linspace(255f, 0f, bins, bin), false),
        _ => (double.NaN, false),
    };

    /// <summary>torch.linspace in float32: from the start for the first half, from the end for the rest.</summary>
    internal static double Linspace(float start, float end, int steps, int i)
    {
        if (steps == 1) return start;
        float step = (end - start) / (steps - 1);
        return i < steps / 2 ? start + step * i : end - step * (steps - i - 1);
    }
}
