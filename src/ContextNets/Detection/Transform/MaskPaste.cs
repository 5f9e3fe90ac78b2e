namespace ContextNets.Detection.Transform;

/// <summary>
/// torchvision's paste_masks_in_image: each M x M mask probability map is padded by one zero pixel, its box widened
/// by the same factor (M + 2) / M about its centre and truncated to integers, the map resized bilinearly to the
/// box's (w + 1) x (h + 1) pixels, and the part inside the image written into an image-sized map of zeros.
/// </summary>
public static class MaskPaste
{
    /// <summary>K masks [K, M, M] flat with their K boxes (image coordinates) into [K, imageH, imageW] flat.</summary>
    public static float[] Paste(ReadOnlySpan<float> masks, int m, ReadOnlySpan<float> boxes, int imageH, int imageW)
    {
        int k = boxes.Length / 4;
        if (masks.Length != k * m * m) throw new ArgumentException($"paste masks: {masks.Length} values are not {k} masks of {m}x{m}.");
        int padded = m + 2;
        float scale = (float)((double)padded / m);
        var result = new float[(long)k * imageH * imageW];
        var pad = new float[padded * padded];
        for (int i = 0; i < k; i++)
        {
            Array.Clear(pad);
            for (int y = 0; y < m; y++) masks.Slice((i * m + y) * m, m).CopyTo(pad.AsSpan((y + 1) * padded + 1, m));
            var box = Expand(boxes.Slice(4 * i, 4), scale);
            int w = Math.Max((int)(box[2] - box[0] + 1), 1), h = Math.Max((int)(box[3] - box[1] + 1), 1);
            var resized = Bilinear.Resize(pad, 1, padded, padded, h, w);
            long x0 = Math.Max(box[0], 0), x1 = Math.Min(box[2] + 1, imageW), y0 = Math.Max(box[1], 0), y1 = Math.Min(box[3] + 1, imageH);
            // torch slicing clamps the source window to the resized mask as well.
            x1 = Math.Min(x1, x0 + (w - (x0 - box[0])));
            y1 = Math.Min(y1, y0 + (h - (y0 - box[1])));
            for (long y = y0; y < y1; y++)
                for (long x = x0; x < x1; x++)
                    result[((long)i * imageH + y) * imageW + x] = resized[(y - box[1]) * w + (x - box[0])];
        }
        return result;
    }

    /// <summary>expand_boxes then .to(int64): float32 half sizes scaled about the centre, truncated toward zero.</summary>
    private static long[] Expand(ReadOnlySpan<float> b, float scale)
    {
        float wHalf = (b[2] - b[0]) * 0.5f * scale, hHalf = (b[3] - b[1]) * 0.5f * scale;
        float xc = (b[2] + b[0]) * 0.5f, yc = (b[3] + b[1]) * 0.5f;
        return [(long)(xc - wHalf), (long)(yc - hHalf), (long)(xc + wHalf), (long)(yc + hHalf)];
    }
}
