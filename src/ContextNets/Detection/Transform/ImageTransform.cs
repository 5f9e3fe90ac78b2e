namespace ContextNets.Detection.Transform;

/// <summary>
/// torchvision's GeneralizedRCNNTransform in inference: each image [3, H, W] in [0, 1] is normalized with the ImageNet
/// mean and std, resized so that its short side is <see cref="MinSize"/> unless its long side would then exceed
/// <see cref="MaxSize"/>, and the batch is zero-padded at the bottom and right to a multiple of 32. Detections are
/// mapped back to each input's own size by <see cref="ScaleBoxes"/>.
/// </summary>
public sealed class ImageTransform(int minSize = 800, int maxSize = 1333, int sizeDivisible = 32)
{
    /// <summary>ImageNet's mean and standard deviation per channel, which torchvision's GeneralizedRCNNTransform normalizes by.</summary>
    public static IReadOnlyList<float> Mean { get; } = [0.485f, 0.456f, 0.406f];
    public static IReadOnlyList<float> Std { get; } = [0.229f, 0.224f, 0.225f];

    public int MinSize { get; } = minSize > 0 ? minSize : throw new ArgumentException($"The detector's minimum image size must be positive, got {minSize}.");
    public int MaxSize { get; } = maxSize >= minSize ? maxSize : throw new ArgumentException($"The detector's maximum image size {maxSize} is below its minimum {minSize}.");

    /// <summary>The size an image of h x w is resized to: floor(side * scale) with torchvision's float32 scale.</summary>
    public (int h, int w) ResizedSize(int h, int w)
    {
        float scale = MathF.Min((float)MinSize / Math.Min(h, w), (float)MaxSize / Math.Max(h, w));
        return ((int)Math.Floor(h * (double)scale), (int)Math.Floor(w * (double)scale));
    }

    /// <summary>The padded batch [N, 3, H, W] and each image's resized size before padding.</summary>
    public (Tensor batch, (int h, int w)[] sizes) Apply(IReadOnlyList<Tensor> images)
    {
        if (images.Count == 0) throw new ArgumentException("The detector needs at least one image.");
        var resized = new float[images.Count][];
        var sizes = new (int h, int w)[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.Rank != 3 || image.Shape[0] != 3)
                throw new ArgumentException($"The detector expects images [3, H, W] with values in [0, 1], got {image.Shape} for image {i}.");
            int h = image.Shape[1], w = image.Shape[2];
            if (h < 1 || w < 1) throw new ArgumentException($"Image {i} is empty ({h}x{w}).");
            var values = image.ToArray();
            for (int c = 0; c < 3; c++)
                for (int k = c * h * w; k < (c + 1) * h * w; k++) values[k] = (values[k] - Mean[c]) / Std[c];
            sizes[i] = ResizedSize(h, w);
            if (sizes[i].h < 1 || sizes[i].w < 1) throw new ArgumentException($"Image {i} ({h}x{w}) is too elongated to resize to a short side of {MinSize} within {MaxSize}.");
            resized[i] = Bilinear.Resize(values, 3, h, w, sizes[i].h, sizes[i].w);
        }
        int padH = RoundUp(sizes.Max(s => s.h)), padW = RoundUp(sizes.Max(s => s.w));
        var batch = new float[images.Count * 3 * padH * padW];
        for (int i = 0; i < images.Count; i++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < sizes[i].h; y++)
                    resized[i].AsSpan((c * sizes[i].h + y) * sizes[i].w, sizes[i].w)
                        .CopyTo(batch.AsSpan(((i * 3 + c) * padH + y) * padW));
        return (Tensor.FromArray(batch, images.Count, 3, padH, padW), sizes);
    }

    /// <summary>Boxes found on a resized image, scaled in place back to the original image (resize_boxes).</summary>
    public static void ScaleBoxes(Span<float> boxes, (int h, int w) resized, (int h, int w) original)
    {
        float ry = (float)original.h / resized.h, rx = (float)original.w / resized.w;
        for (int i = 0; i < boxes.Length; i += 4)
        {
            boxes[i] *= rx;
            boxes[i + 1] *= ry;
            boxes[i + 2] *= rx;
            boxes[i + 3] *= ry;
        }
    }

    private int RoundUp(int size) => (int)Math.Ceiling((double)size / sizeDivisible) * sizeDivisible;
}
