using ContextNets.Data.Transforms;

namespace ContextNets.Data.Segmentation;

/// <summary>Labeled images of one size as a batch: normalized images [N, 3, H, W] and their N*H*W labels (255 ignored).</summary>
public static class SegmentationBatch
{
    public static unsafe (Tensor Images, int[] Labels) Make(IReadOnlyList<LabeledImage> samples, Normalize normalize)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(normalize);
        if (samples.Count == 0) throw new ArgumentException("A batch needs at least one image.");
        int h = samples[0].Height, w = samples[0].Width, c = normalize.Channels;
        var images = Tensor.Empty(new Shape(samples.Count, c, h, w));
        var labels = new int[samples.Count * h * w];
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            if (s.Height != h || s.Width != w)
                throw new ArgumentException($"A batch's images share one size: image {i} is {s.Width}x{s.Height}, the first {w}x{h}.");
            normalize.Write(s.Image, images.Data + (long)i * c * h * w, (long)h * w, w, 1);
            for (int p = 0; p < h * w; p++) labels[i * h * w + p] = s.Labels[p];
        }
        return (images, labels);
    }
}
