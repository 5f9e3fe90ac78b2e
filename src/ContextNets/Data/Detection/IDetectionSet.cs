using ContextNets.Detection;
using ContextNets.Detection.Training;

namespace ContextNets.Data.Detection;

/// <summary>One image for detection: its pixels (RGB, 8 bits) and its ground truth at its own size.</summary>
public sealed record DetectionExample(Image8 Image, DetectionTarget Target)
{
    /// <summary>The image as the detector takes it: [3, H, W] with values in [0, 1].</summary>
    public Tensor ToTensor() => ImageDetection.ToTensor(Image);
}

/// <summary>
/// A detection data set: images with boxes, instance masks and labels. Label 0 is the background; the objects'
/// labels are 1..<see cref="ClassNames"/>.Count - 1, as torchvision's detectors count classes.
/// </summary>
public interface IDetectionSet
{
    int Count { get; }

    /// <summary>The class names by label, the background first.</summary>
    IReadOnlyList<string> ClassNames { get; }

    DetectionExample this[int index] { get; }
}
