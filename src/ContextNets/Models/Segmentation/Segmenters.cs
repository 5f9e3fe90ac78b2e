namespace ContextNets.Models.Segmentation;

/// <summary>
/// The segmenters by name: torchvision's fcn_resnet50 and deeplabv3_resnet50 (the body at output stride 8, 21 classes
/// by default as torchvision's), and `fcn_&lt;zoo backbone&gt;` / `deeplabv3_&lt;zoo backbone&gt;` / `ccnet_&lt;zoo
/// backbone&gt;` (CCNet's head) for every ImageNet body of the zoo, with its attention blocks (deeplabv3_resnest50d is
/// the ResNeSt paper's setting).
/// </summary>
public static class Segmenters
{
    public const int DefaultClasses = 21;

    /// <summary>Whether <paramref name="name"/> is a segmenter: a head prefix and a zoo backbone.</summary>
    public static bool IsSegmenter(string name) => TryParse(name, out _, out _);

    /// <summary>
    /// A freshly initialized segmenter: the backbone from the zoo with <paramref name="seed"/> (as Zoo.Create), dilated
    /// to <paramref name="outputStride"/>, and the heads initialized as torchvision's (PyTorch's default layer init).
    /// </summary>
    public static Segmenter Create(string name, int classes = DefaultClasses, bool aux = false, int outputStride = 8, int? inChannels = null, int seed = Zoo.DefaultSeed)
    {
        if (!TryParse(name, out var head, out var backbone))
            throw new ArgumentException($"No segmenter named '{name}': segmenters are fcn_<backbone>, deeplabv3_<backbone> or ccnet_<backbone> with an ImageNet backbone of the zoo (e.g. deeplabv3_resnet50).");
        var body = Zoo.CreateBackbone(backbone, outputStride, inChannels, seed);
        using var seeded = NN.Initializers.Seeded(seed + 1);
        return new Segmenter(body, head, classes, aux);
    }

    private static bool TryParse(string name, out SegmentationHead head, out string backbone)
    {
        ArgumentNullException.ThrowIfNull(name);
        (head, backbone) = name.StartsWith("fcn_", StringComparison.Ordinal) ? (SegmentationHead.Fcn, name[4..])
            : name.StartsWith("deeplabv3_", StringComparison.Ordinal) ? (SegmentationHead.DeepLabV3, name[10..])
            : name.StartsWith("ccnet_", StringComparison.Ordinal) ? (SegmentationHead.CcNet, name[6..])
            : (default, "");
        return backbone.Length > 0 && Zoo.Contains(backbone) && Zoo.Entry(backbone).InputSize >= 64;
    }
}
