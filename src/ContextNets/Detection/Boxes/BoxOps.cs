namespace ContextNets.Detection.Boxes;

/// <summary>
/// torchvision.ops.boxes on boxes held as flat float arrays, four values (x1, y1, x2, y2) per box: areas, IoU,
/// clipping to an image and the removal of small boxes. Float32 throughout, in torchvision's order of operations.
/// </summary>
public static class BoxOps
{
    /// <summary>The number of boxes in a flat array; fails when the length is not a multiple of 4.</summary>
    public static int Count(ReadOnlySpan<float> boxes) =>
        boxes.Length % 4 == 0 ? boxes.Length / 4 : throw new ArgumentException($"boxes: {boxes.Length} values are not a whole number of (x1, y1, x2, y2) boxes.");

    public static float Area(ReadOnlySpan<float> boxes, int i) => (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);

    /// <summary>Intersection over union of box i of a and box j of b (0 when the union is empty).</summary>
    public static float Iou(ReadOnlySpan<float> a, int i, ReadOnlySpan<float> b, int j)
    {
        float w = MathF.Max(0f, MathF.Min(a[4 * i + 2], b[4 * j + 2]) - MathF.Max(a[4 * i], b[4 * j]));
        float h = MathF.Max(0f, MathF.Min(a[4 * i + 3], b[4 * j + 3]) - MathF.Max(a[4 * i + 1], b[4 * j + 1]));
        float inter = w * h, union = Area(a, i) + Area(b, j) - inter;
        return union > 0 ? inter / union : 0f;
    }

    /// <summary>The IoU matrix [a boxes, b boxes], row-major (torchvision's box_iou).</summary>
    public static float[] IouMatrix(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = Count(a), m = Count(b);
        var iou = new float[n * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) iou[i * m + j] = Iou(a, i, b, j);
        return iou;
    }

    /// <summary>Clamps every box into an image of <paramref name="height"/> x <paramref name="width"/>, in place.</summary>
    public static void Clip(Span<float> boxes, int height, int width)
    {
        for (int i = 0; i < boxes.Length; i += 4)
        {
            boxes[i] = Math.Clamp(boxes[i], 0f, width);
            boxes[i + 1] = Math.Clamp(boxes[i + 1], 0f, height);
            boxes[i + 2] = Math.Clamp(boxes[i + 2], 0f, width);
            boxes[i + 3] = Math.Clamp(boxes[i + 3], 0f, height);
        }
    }

    /// <summary>The indices of the boxes at least <paramref name="minSize"/> wide and high (remove_small_boxes).</summary>
    public static List<int> LargeEnough(ReadOnlySpan<float> boxes, float minSize)
    {
        var keep = new List<int>();
        for (int i = 0; i < Count(boxes); i++)
            if (boxes[4 * i + 2] - boxes[4 * i] >= minSize && boxes[4 * i + 3] - boxes[4 * i + 1] >= minSize) keep.Add(i);
        return keep;
    }

    /// <summary>The boxes at the given indices, in that order.</summary>
    public static float[] Gather(ReadOnlySpan<float> boxes, IReadOnlyList<int> indices)
    {
        var result = new float[4 * indices.Count];
        for (int k = 0; k < indices.Count; k++) boxes.Slice(4 * indices[k], 4).CopyTo(result.AsSpan(4 * k));
        return result;
    }
}
