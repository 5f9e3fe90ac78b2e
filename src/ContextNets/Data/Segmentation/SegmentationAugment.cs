using ContextNets.Data.Transforms;

namespace ContextNets.Data.Segmentation;

/// <summary>
/// The geometry of segmentation training, applied to an image and its label map together, as torchvision's
/// segmentation reference does: resize to a base size, a random scale, padding to the crop size (the image with 0, the
/// labels with <see cref="LabeledImage.Ignore"/>), a random crop, a random horizontal flip. Images are resized
/// bilinearly and label maps by nearest neighbour, so that no label is ever mixed.
/// </summary>
public static class SegmentationAugment
{
    /// <summary>Resizes the image (bilinear, antialiased when shrinking) and the labels (nearest) to <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static LabeledImage Resize(LabeledImage sample, int height, int width)
    {
        if (sample.Height == height && sample.Width == width) return sample;
        return new LabeledImage(Transforms.Resize.Run(sample.Image, height, width), NearestLabels(sample.Labels, sample.Width, sample.Height, width, height));
    }

    /// <summary>The scale to a square of <paramref name="side"/> (the scenes are square; other images are stretched).</summary>
    public static LabeledImage ToSide(LabeledImage sample, int side) => Resize(sample, side, side);

    /// <summary>
    /// A training view: the image at <paramref name="baseSide"/> scaled by a factor drawn in [<paramref name="minScale"/>,
    /// <paramref name="maxScale"/>], padded to at least <paramref name="crop"/>, a random crop x crop window, and a
    /// horizontal flip with probability one half.
    /// </summary>
    public static LabeledImage Train(LabeledImage sample, int baseSide, int crop, double minScale, double maxScale, Rng rng)
    {
        int side = Math.Max(1, (int)Math.Round(baseSide * rng.Uniform(minScale, maxScale)));
        var scaled = ToSide(sample, side);
        var padded = PadTo(scaled, crop);
        int top = rng.NextInt(padded.Height - crop + 1), left = rng.NextInt(padded.Width - crop + 1);
        var cropped = Crop(padded, top, left, crop);
        return rng.Chance(0.5) ? Flip(cropped) : cropped;
    }

    internal static byte[] NearestLabels(byte[] labels, int fromWidth, int fromHeight, int width, int height)
    {
        var output = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            // PyTorch's nearest: the source index is floor(dst * in / out).
            int sy = Math.Min(fromHeight - 1, (int)((long)y * fromHeight / height));
            for (int x = 0; x < width; x++)
                output[y * width + x] = labels[sy * fromWidth + Math.Min(fromWidth - 1, (int)((long)x * fromWidth / width))];
        }
        return output;
    }

    private static LabeledImage PadTo(LabeledImage s, int crop)
    {
        int h = Math.Max(crop, s.Height), w = Math.Max(crop, s.Width), c = s.Image.Channels;
        if (h == s.Height && w == s.Width) return s;
        var image = new Image8(w, h, c);
        var labels = new byte[w * h];
        Array.Fill(labels, LabeledImage.Ignore);
        for (int y = 0; y < s.Height; y++)
        {
            Array.Copy(s.Image.Pixels, y * s.Image.Stride, image.Pixels, y * image.Stride, s.Image.Stride);
            Array.Copy(s.Labels, y * s.Width, labels, y * w, s.Width);
        }
        return new LabeledImage(image, labels);
    }

    private static LabeledImage Crop(LabeledImage s, int top, int left, int crop)
    {
        int c = s.Image.Channels;
        var image = new Image8(crop, crop, c);
        var labels = new byte[crop * crop];
        for (int y = 0; y < crop; y++)
        {
            Array.Copy(s.Image.Pixels, ((top + y) * s.Width + left) * c, image.Pixels, y * crop * c, crop * c);
            Array.Copy(s.Labels, (top + y) * s.Width + left, labels, y * crop, crop);
        }
        return new LabeledImage(image, labels);
    }

    private static LabeledImage Flip(LabeledImage s)
    {
        int w = s.Width, c = s.Image.Channels;
        var image = new Image8(w, s.Height, c);
        var labels = new byte[s.Labels.Length];
        for (int y = 0; y < s.Height; y++)
        for (int x = 0; x < w; x++)
        {
            labels[y * w + x] = s.Labels[y * w + w - 1 - x];
            for (int k = 0; k < c; k++) image.Pixels[(y * w + x) * c + k] = s.Image.Pixels[(y * w + w - 1 - x) * c + k];
        }
        return new LabeledImage(image, labels);
    }
}
