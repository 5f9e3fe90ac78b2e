namespace ContextNets.Detection;

/// <summary>
/// The detections of one image: boxes (x1, y1, x2, y2, four values per detection), scores, labels (class indices,
/// 0 is the background and never appears), and mask probabilities, MaskSize x MaskSize per detection before they are
/// pasted into the image, image-sized after.
/// </summary>
public sealed class Detections(float[] boxes, float[] scores, long[] labels)
{
    public float[] Boxes { get; } = boxes;
    public float[] Scores { get; } = scores;
    public long[] Labels { get; } = labels;
    public int Count => Scores.Length;

    /// <summary>Mask probabilities, [Count, MaskHeight, MaskWidth] flat; empty when there are no detections.</summary>
    public float[] Masks { get; set; } = [];
    public int MaskHeight { get; set; }
    public int MaskWidth { get; set; }
}
