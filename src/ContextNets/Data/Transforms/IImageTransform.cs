namespace ContextNets.Data.Transforms;

/// <summary>
/// A step of a sample pipeline on 8-bit HWC images (as torchvision's
/// transforms on PIL images). Randomness comes only from the given generator,
/// so a pipeline is deterministic for a given generator state. A transform
/// may return its input unchanged, or change it in place, or return a new image.
/// </summary>
public interface IImageTransform
{
    Image8 Apply(Image8 image, Rng rng);
}

/// <summary>Applies the steps in order.</summary>
public sealed class Compose(params IImageTransform[] steps) : IImageTransform
{
    public IReadOnlyList<IImageTransform> Steps { get; } = steps;

    public Image8 Apply(Image8 image, Rng rng)
    {
        foreach (var step in Steps) image = step.Apply(image, rng);
        return image;
    }

    public override string ToString() => $"Compose({string.Join(", ", Steps)})";
}
