namespace ContextNets.Detection.Boxes;

/// <summary>
/// torchvision's poolers.LevelMapper (FPN paper, eq. 1): a box of area wh goes to level
/// floor(4 + log2(sqrt(wh) / 224) + 1e-6), clamped to the levels present, counted from the finest.
/// </summary>
public sealed class LevelMapper(int minLevel, int maxLevel)
{
    private const float CanonicalScale = 224f, CanonicalLevel = 4f, Eps = 1e-6f;

    /// <summary>
    /// The levels of the pooler's feature maps from their sizes relative to the image: scale = 2^round(log2(feature
    /// height / image height)), the image height being the largest of the batch's unpadded images.
    /// </summary>
    public static LevelMapper FromScales(IReadOnlyList<float> scales) =>
        new((int)-MathF.Log2(scales[0]), (int)-MathF.Log2(scales[^1]));

    /// <summary>The power-of-two scale of a feature map of height <paramref name="featureH"/> for images up to <paramref name="imageH"/>.</summary>
    public static float Scale(int featureH, int imageH) => MathF.Pow(2f, MathF.Round(MathF.Log2((float)featureH / imageH)));

    public int MinLevel => minLevel;

    /// <summary>The index (from the finest map) of the level that pools box i.</summary>
    public int Map(ReadOnlySpan<float> boxes, int i)
    {
        float s = MathF.Sqrt(BoxOps.Area(boxes, i));
        float level = MathF.Floor(CanonicalLevel + MathF.Log2(s / CanonicalScale) + Eps);
        return (int)Math.Clamp(level, minLevel, maxLevel) - minLevel;
    }
}
