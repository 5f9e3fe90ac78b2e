namespace ContextNets.Detection.Transform;

/// <summary>
/// torch.nn.functional.interpolate(mode="bilinear", align_corners=False) with an output size, on planes of float32:
/// source coordinate scale * (i + 0.5) - 0.5 (computed in double and rounded to float, as PyTorch's CPU kernel does),
/// clamped at 0, and the two neighbours blended row within column. The detector resizes images and pastes masks
/// with it; neither needs a gradient.
/// </summary>
public static class Bilinear
{
    /// <summary><paramref name="planes"/> planes of h x w in <paramref name="source"/> resized to outH x outW.</summary>
    public static float[] Resize(ReadOnlySpan<float> source, int planes, int h, int w, int outH, int outW)
    {
        if (h < 1 || w < 1 || outH < 1 || outW < 1) throw new ArgumentException($"bilinear resize: {h}x{w} to {outH}x{outW} needs positive sizes.");
        if (source.Length != planes * h * w) throw new ArgumentException($"bilinear resize: {source.Length} values are not {planes} planes of {h}x{w}.");
        var rows = Taps(h, outH);
        var cols = Taps(w, outW);
        var result = new float[planes * outH * outW];
        for (int p = 0; p < planes; p++)
        {
            var plane = source.Slice(p * h * w, h * w);
            for (int i = 0; i < outH; i++)
            {
                var r = rows[i];
                for (int j = 0; j < outW; j++)
                {
                    var c = cols[j];
                    float top = plane[r.Low * w + c.Low] * c.LowWeight + plane[r.Low * w + c.High] * c.HighWeight;
                    float bottom = plane[r.High * w + c.Low] * c.LowWeight + plane[r.High * w + c.High] * c.HighWeight;
                    result[(p * outH + i) * outW + j] = top * r.LowWeight + bottom * r.HighWeight;
                }
            }
        }
        return result;
    }

    private readonly record struct Tap(int Low, int High, float LowWeight, float HighWeight);

    private static Tap[] Taps(int input, int output)
    {
        float scale = (float)input / output;
        var taps = new Tap[output];
        for (int i = 0; i < output; i++)
        {
            float real = (float)(scale * (i + 0.5) - 0.5);
            if (real < 0) real = 0;
            int low = (int)real;
            int high = low < input - 1 ? low + 1 : low;
            float lambda = real - low;
            taps[i] = new Tap(low, high, 1f - lambda, lambda);
        }
        return taps;
    }
}
