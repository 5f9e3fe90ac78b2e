namespace ContextNets.Data.Scenes;

/// <summary>
/// How the generated scenes are drawn (<see cref="SceneGenerator"/>). The defaults are the detection and
/// segmentation issues' scenes: 1 to 6 Fashion-MNIST items, each scaled to a side of 28 to 112 pixels, on a 256x256
/// textured canvas.
/// </summary>
public sealed record SceneOptions
{
    /// <summary>The side of the square canvas, in pixels.</summary>
    public int Size { get; init; } = 256;

    /// <summary>The fewest items pasted into a scene.</summary>
    public int MinItems { get; init; } = 1;

    /// <summary>The most items pasted into a scene (before any is hidden by later ones).</summary>
    public int MaxItems { get; init; } = 6;

    /// <summary>The smallest side an item is scaled to (28 is Fashion-MNIST's own).</summary>
    public int MinScale { get; init; } = 28;

    /// <summary>The largest side an item is scaled to.</summary>
    public int MaxScale { get; init; } = 112;

    /// <summary>
    /// A scaled item's pixel belongs to the item when its gray value is at least this (of 255); those pixels are
    /// painted, and make its mask. Fashion-MNIST's background is 0 and its items' edges fade, so this cuts the fade.
    /// </summary>
    public byte MaskThreshold { get; init; } = 48;

    /// <summary>An item left with fewer visible pixels than this, after the items pasted over it, is dropped from the annotations.</summary>
    public int MinVisiblePixels { get; init; } = 16;

    internal void Validate()
    {
        if (Size < 32 || Size > 4096) throw new ArgumentException($"Scenes: the canvas side {Size} must be in [32, 4096].");
        if (MinItems < 0 || MaxItems < MinItems || MaxItems > 64)
            throw new ArgumentException($"Scenes: items per scene [{MinItems}, {MaxItems}] must satisfy 0 <= min <= max <= 64.");
        if (MinScale < 1 || MaxScale < MinScale || MaxScale > Size)
            throw new ArgumentException($"Scenes: item sides [{MinScale}, {MaxScale}] must satisfy 1 <= min <= max <= the canvas side {Size}.");
        if (MaskThreshold == 0) throw new ArgumentException("Scenes: a mask threshold of 0 would make every item a full square.");
        if (MinVisiblePixels < 1) throw new ArgumentException($"Scenes: the fewest visible pixels must be at least 1, got {MinVisiblePixels}.");
    }
}
