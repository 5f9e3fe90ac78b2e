namespace ContextNets.Models.Outputs;

/// <summary>
/// The fixed names of a model's outputs, in torchvision's conventions, as `ctxnet run` writes them. A check of a
/// port then compares tensors of one name whatever the model kind.
/// </summary>
public static class OutputNames
{
    /// <summary>Classifiers and video networks: [N, classes], before any softmax.</summary>
    public const string Logits = "logits";

    /// <summary>Segmenters: [N, K, H, W] class scores at the input's size (torchvision's `out`).</summary>
    public const string Out = "out";

    /// <summary>Detectors, for one image [3, H, W] in [0, 1]: [K, 4] boxes (x1, y1, x2, y2) in the input image's coordinates.</summary>
    public const string Boxes = "boxes";

    /// <summary>Detectors: [K] scores of the boxes.</summary>
    public const string Scores = "scores";

    /// <summary>Detectors: [K] class indices, stored as int64 as torchvision returns them.</summary>
    public const string Labels = "labels";

    /// <summary>Instance segmenters: [K, 1, H, W] mask probabilities at the input's size, before any threshold.</summary>
    public const string Masks = "masks";
}
