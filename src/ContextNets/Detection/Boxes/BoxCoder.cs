namespace ContextNets.Detection.Boxes;

/// <summary>
/// torchvision's det_utils.BoxCoder: boxes as offsets (dx, dy, dw, dh) from reference boxes, scaled by weights
/// (1, 1, 1, 1) for the RPN and (10, 10, 5, 5) for the box head. Decoding clamps dw and dh at log(1000/16), so that
/// an untrained head cannot make boxes overflow.
/// </summary>
public sealed class BoxCoder(float wx, float wy, float ww, float wh)
{
    /// <summary>torchvision's bbox_xform_clip.</summary>
    public static readonly float Clip = (float)Math.Log(1000.0 / 16);

    public static BoxCoder Rpn => new(1f, 1f, 1f, 1f);
    public static BoxCoder RoiHeads => new(10f, 10f, 5f, 5f);

    /// <summary>
    /// Applies <paramref name="codes"/> [K, 4 * classes] to <paramref name="references"/> [K, 4]: [K, classes, 4] boxes flat.
    /// </summary>
    public float[] Decode(ReadOnlySpan<float> codes, ReadOnlySpan<float> references)
    {
        int k = BoxOps.Count(references);
        if (k == 0) return [];
        if (codes.Length % (4 * k) != 0) throw new ArgumentException($"box decode: {codes.Length} codes for {k} boxes.");
        int perBox = codes.Length / k;
        var result = new float[codes.Length];
        for (int i = 0; i < k; i++)
        {
            float width = references[4 * i + 2] - references[4 * i], height = references[4 * i + 3] - references[4 * i + 1];
            float cx = references[4 * i] + 0.5f * width, cy = references[4 * i + 1] + 0.5f * height;
            for (int j = 0; j < perBox; j += 4)
            {
                int o = i * perBox + j;
                float dx = codes[o] / wx, dy = codes[o + 1] / wy;
                float dw = MathF.Min(codes[o + 2] / ww, Clip), dh = MathF.Min(codes[o + 3] / wh, Clip);
                float px = dx * width + cx, py = dy * height + cy;
                float halfW = 0.5f * (MathF.Exp(dw) * width), halfH = 0.5f * (MathF.Exp(dh) * height);
                result[o] = px - halfW;
                result[o + 1] = py - halfH;
                result[o + 2] = px + halfW;
                result[o + 3] = py + halfH;
            }
        }
        return result;
    }

    /// <summary>The codes [K, 4] that take each reference box to its matched box (encode_single).</summary>
    public float[] Encode(ReadOnlySpan<float> matched, ReadOnlySpan<float> references)
    {
        int k = BoxOps.Count(references);
        if (BoxOps.Count(matched) != k) throw new ArgumentException($"box encode: {BoxOps.Count(matched)} boxes for {k} references.");
        var codes = new float[4 * k];
        for (int i = 0; i < k; i++)
        {
            float ew = references[4 * i + 2] - references[4 * i], eh = references[4 * i + 3] - references[4 * i + 1];
            float ex = references[4 * i] + 0.5f * ew, ey = references[4 * i + 1] + 0.5f * eh;
            float gw = matched[4 * i + 2] - matched[4 * i], gh = matched[4 * i + 3] - matched[4 * i + 1];
            float gx = matched[4 * i] + 0.5f * gw, gy = matched[4 * i + 1] + 0.5f * gh;
            codes[4 * i] = wx * (gx - ex) / ew;
            codes[4 * i + 1] = wy * (gy - ey) / eh;
            codes[4 * i + 2] = ww * MathF.Log(gw / ew);
            codes[4 * i + 3] = wh * MathF.Log(gh / eh);
        }
        return codes;
    }
}
