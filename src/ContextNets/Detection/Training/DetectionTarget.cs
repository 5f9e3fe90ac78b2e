namespace ContextNets.Detection.Training;

/// <summary>
/// The ground truth of one image, as torchvision's detection targets hold it: boxes (x1, y1, x2, y2 in pixels, four
/// values per object), labels (1..classes-1; 0 is the background), and one binary mask per object at the image's
/// size, [objects, Height, Width] flat. An image may have no objects at all: it then only teaches background.
/// </summary>
public sealed class DetectionTarget
{
    public DetectionTarget(float[] boxes, int[] labels, byte[] masks, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(masks);
        if (height < 1 || width < 1) throw new ArgumentException($"A target's image size must be positive, got {height}x{width}.");
        if (boxes.Length != 4 * labels.Length)
            throw new ArgumentException($"A target has {boxes.Length} box values for {labels.Length} labels (4 per object).");
        if (masks.Length != labels.Length * height * width)
            throw new ArgumentException($"A target's masks hold {masks.Length} values, not {labels.Length} x {height} x {width}.");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 1) throw new ArgumentException($"Object {i} has label {labels[i]}; labels start at 1 (0 is the background).");
            float x1 = boxes[4 * i], y1 = boxes[4 * i + 1], x2 = boxes[4 * i + 2], y2 = boxes[4 * i + 3];
            // torchvision's GeneralizedRCNN refuses the same boxes: a box must have positive width and height.
            if (!(x2 > x1 && y2 > y1) || !float.IsFinite(x1 + y1 + x2 + y2))
                throw new ArgumentException($"Object {i} has a degenerate box [{x1}, {y1}, {x2}, {y2}]: it needs x2 > x1 and y2 > y1.");
        }
        Boxes = boxes;
        Labels = labels;
        Masks = masks;
        Height = height;
        Width = width;
    }

    public float[] Boxes { get; }
    public int[] Labels { get; }
    public byte[] Masks { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Labels.Length;

    /// <summary>
    /// This target on the image resized to <paramref name="size"/>, as GeneralizedRCNNTransform resizes it: boxes
    /// scaled by the ratio of the sizes (resize_boxes), masks by nearest interpolation at the image's scale.
    /// </summary>
    public DetectionTarget Resized((int h, int w) size)
    {
        if (size == (Height, Width)) return this;
        var boxes = (float[])Boxes.Clone();
        Transform.ImageTransform.ScaleBoxes(boxes, (Height, Width), size);
        var masks = new byte[Count * size.h * size.w];
        float sy = (float)Height / size.h, sx = (float)Width / size.w;
        for (int g = 0; g < Count; g++)
            for (int y = 0; y < size.h; y++)
            {
                int fromY = Math.Min((int)MathF.Floor(y * sy), Height - 1);
                for (int x = 0; x < size.w; x++)
                    masks[(g * size.h + y) * size.w + x] = Masks[(g * Height + fromY) * Width + Math.Min((int)MathF.Floor(x * sx), Width - 1)];
            }
        return new DetectionTarget(boxes, Labels, masks, size.h, size.w);
    }
}
