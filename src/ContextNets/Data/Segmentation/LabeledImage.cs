namespace ContextNets.Data.Segmentation;

/// <summary>
/// An RGB image with its label map: one class index per pixel, row-major, <see cref="Ignore"/> (255, VOC's border
/// value) where no class is given. The map has the image's size.
/// </summary>
public sealed class LabeledImage
{
    /// <summary>The label of pixels that count in no loss or score (VOC's 255).</summary>
    public const byte Ignore = 255;

    public LabeledImage(Image8 image, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != image.Width * image.Height)
            throw new ArgumentException($"A label map of {labels.Length} pixels does not fit a {image.Width}x{image.Height} image.");
        Image = image;
        Labels = labels;
    }

    public Image8 Image { get; }
    public byte[] Labels { get; }
    public int Width => Image.Width;
    public int Height => Image.Height;
}

/// <summary>A set of labeled images with its class names (index 0 first), for training and evaluating segmenters.</summary>
public interface ISegmentationSet
{
    int Count { get; }
    IReadOnlyList<string> Classes { get; }
    LabeledImage this[int index] { get; }
}
