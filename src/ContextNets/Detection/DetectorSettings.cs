namespace ContextNets.Detection;

/// <summary>
/// The settings of torchvision 0.14's MaskRCNN constructor, with its defaults: image sizes, the RPN's proposal counts
/// and thresholds, and the box head's post-processing. Tests shrink the image sizes; everything else is as torchvision.
/// </summary>
public sealed record DetectorSettings
{
    public int MinSize { get; init; } = 800;
    public int MaxSize { get; init; } = 1333;

    public int RpnPreNmsTopNTrain { get; init; } = 2000;
    public int RpnPreNmsTopNTest { get; init; } = 1000;
    public int RpnPostNmsTopNTrain { get; init; } = 2000;
    public int RpnPostNmsTopNTest { get; init; } = 1000;
    public float RpnNmsThreshold { get; init; } = 0.7f;
    public float RpnScoreThreshold { get; init; }
    public float RpnForegroundIou { get; init; } = 0.7f;
    public float RpnBackgroundIou { get; init; } = 0.3f;
    public int RpnBatchSizePerImage { get; init; } = 256;
    public float RpnPositiveFraction { get; init; } = 0.5f;

    public float BoxScoreThreshold { get; init; } = 0.05f;
    public float BoxNmsThreshold { get; init; } = 0.5f;
    public int BoxDetectionsPerImage { get; init; } = 100;
    public float BoxForegroundIou { get; init; } = 0.5f;
    public float BoxBackgroundIou { get; init; } = 0.5f;
    public int BoxBatchSizePerImage { get; init; } = 512;
    public float BoxPositiveFraction { get; init; } = 0.25f;
}
