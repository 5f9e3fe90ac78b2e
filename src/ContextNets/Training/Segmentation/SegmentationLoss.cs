using ContextNets.Data.Segmentation;
using ContextNets.Models.Segmentation;

namespace ContextNets.Training.Segmentation;

/// <summary>
/// The training loss of a segmenter, as torchvision's references/segmentation/train.py forms it: the per-pixel
/// cross-entropy (ignore index 255) of `out`, plus <c>auxWeight</c> times that of `aux` when the segmenter has an aux
/// head (torchvision's reference uses 0.5). The aux head only shapes the gradient of the body's stage before the last;
/// evaluation and inference read `out` alone.
/// </summary>
public static class SegmentationLoss
{
    /// <summary>
    /// The loss of <paramref name="model"/> on a batch. <paramref name="auxWeight"/> 0 trains `out` alone (and skips the
    /// aux head's forward); a positive weight needs a segmenter built with its aux head.
    /// </summary>
    public static Tensor Compute(Segmenter model, Tensor images, int[] labels, double auxWeight)
    {
        if (!(auxWeight >= 0)) throw new ArgumentException($"The aux loss weight must be >= 0, not {auxWeight}.");
        if (auxWeight == 0) return F.PixelCrossEntropy(model.Forward(images), labels, LabeledImage.Ignore);
        if (!model.HasAux) throw new ArgumentException($"An aux loss weight of {auxWeight} needs a segmenter with its aux head.");
        var (output, aux) = model.ForwardWithAux(images);
        var main = F.PixelCrossEntropy(output, labels, LabeledImage.Ignore);
        var auxiliary = F.PixelCrossEntropy(aux!, labels, LabeledImage.Ignore);
        return F.Add(main, F.Mul(auxiliary, Tensor.Scalar((float)auxWeight)));
    }
}
