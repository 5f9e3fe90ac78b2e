namespace ContextNets;

/// <summary>
/// The two source indices and the weight of the upper one for each output index of a bilinear resize along one axis
/// (PyTorch's area_pixel_compute_source_index with align_corners False), and the separable forward and backward.
/// </summary>
internal readonly record struct BilinearTaps(int[] Low, int[] High, float[] Weight)
{
    public static BilinearTaps For(int input, int output)
    {
        var low = new int[output];
        var high = new int[output];
        var weight = new float[output];
        float scale = (float)input / output;
        for (int i = 0; i < output; i++)
        {
            // PyTorch computes the source index in float32 with the scale in float32.
            float src = MathF.Max(scale * (i + 0.5f) - 0.5f, 0f);
            int lo = (int)src;
            low[i] = lo;
            high[i] = lo < input - 1 ? lo + 1 : lo;
            weight[i] = src - lo;
        }
        return new BilinearTaps(low, high, weight);
    }

    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int planes, int ih, int iw, BilinearTaps rows, BilinearTaps cols)
    {
        int oh = rows.Low.Length, ow = cols.Low.Length;
        for (int p = 0; p < planes; p++)
        {
            var src = x.Slice(p * ih * iw, ih * iw);
            var dst = y.Slice(p * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
            {
                float wy = rows.Weight[i];
                var top = src.Slice(rows.Low[i] * iw, iw);
                var bottom = src.Slice(rows.High[i] * iw, iw);
                for (int j = 0; j < ow; j++)
                {
                    int l = cols.Low[j], h = cols.High[j];
                    float wx = cols.Weight[j];
                    float t = (1 - wx) * top[l] + wx * top[h], b = (1 - wx) * bottom[l] + wx * bottom[h];
                    dst[i * ow + j] = (1 - wy) * t + wy * b;
                }
            }
        }
    }

    public static void Backward(ReadOnlySpan<float> gy, Span<float> gx, int planes, int ih, int iw, BilinearTaps rows, BilinearTaps cols)
    {
        int oh = rows.Low.Length, ow = cols.Low.Length;
        for (int p = 0; p < planes; p++)
        {
            var g = gy.Slice(p * oh * ow, oh * ow);
            var dst = gx.Slice(p * ih * iw, ih * iw);
            for (int i = 0; i < oh; i++)
            {
                float wy = rows.Weight[i];
                int top = rows.Low[i] * iw, bottom = rows.High[i] * iw;
                for (int j = 0; j < ow; j++)
                {
                    int l = cols.Low[j], h = cols.High[j];
                    float wx = cols.Weight[j], v = g[i * ow + j];
                    dst[top + l] += (1 - wy) * (1 - wx) * v;
                    dst[top + h] += (1 - wy) * wx * v;
                    dst[bottom + l] += wy * (1 - wx) * v;
                    dst[bottom + h] += wy * wx * v;
                }
            }
        }
    }
}
