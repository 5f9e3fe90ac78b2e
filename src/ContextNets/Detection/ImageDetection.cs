using ContextNets.Data;

namespace ContextNets.Detection;

/// <summary>
/// One picture through a detector, as `ctxnet detect` runs it: the 8-bit pixels made the detector's input [3, H, W]
/// in [0, 1], the detections at the picture's own size, and those scoring at least a threshold. Every tensor lives in
/// the call's scope, so that many calls leave no native memory behind.
/// </summary>
public static class ImageDetection
{
    /// <summary>A pasted mask's pixels with a probability above this are inside, as torchvision's references cut them.</summary>
    public const float MaskThreshold = 0.5f;

    /// <summary>The picture as a detector takes it: [3, H, W], channel-major, values in [0, 1]; a gray picture fills all three channels.</summary>
    public static Tensor ToTensor(Image8 image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int h = image.Height, w = image.Width, channels = image.Channels;
        var values = new float[3 * h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) values[(c * h + y) * w + x] = image[y, x, channels == 3 ? c : 0] / 255f;
        return Tensor.FromArray(values, 3, h, w);
    }

    /// <summary>The detections of <paramref name="image"/> scoring at least <paramref name="scoreThreshold"/>, by decreasing score; the model must be in eval mode.</summary>
    public static Detections Detect(MaskRcnn model, Image8 image, float scoreThreshold)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(scoreThreshold is >= 0f and <= 1f)) throw new ArgumentException($"A score threshold is in [0, 1], not {scoreThreshold}.");
        using var scope = Tensor.Scope();
        return Above(model.Detect([ToTensor(image)])[0], scoreThreshold);
    }

    /// <summary>The detections scoring at least <paramref name="threshold"/>, in their order, masks and all.</summary>
    public static Detections Above(Detections d, float threshold)
    {
        ArgumentNullException.ThrowIfNull(d);
        var kept = Enumerable.Range(0, d.Count).Where(i => d.Scores[i] >= threshold).ToArray();
        int plane = d.MaskHeight * d.MaskWidth;
        var masks = new float[kept.Length * plane];
        for (int k = 0; k < kept.Length; k++) d.Masks.AsSpan(kept[k] * plane, plane).CopyTo(masks.AsSpan(k * plane));
        return new Detections([.. kept.SelectMany(i => d.Boxes.AsSpan(4 * i, 4).ToArray())], [.. kept.Select(i => d.Scores[i])], [.. kept.Select(i => d.Labels[i])])
        {
            Masks = masks,
            MaskHeight = d.MaskHeight,
            MaskWidth = d.MaskWidth,
        };
    }
}
