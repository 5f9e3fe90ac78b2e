namespace ContextNets.Models.Segmentation;

/// <summary>A segmenter's scores as class maps: the arg-max class per pixel (the first on ties, as torch.argmax).</summary>
public static class ClassMaps
{
    /// <summary>Scores [N, K, H, W] to N*H*W class indices, row-major per image.</summary>
    public static int[] ArgMax(Tensor scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 4) throw new ArgumentException($"Class maps come from scores [N, K, H, W], not {scores.Shape}.");
        int n = scores.Shape[0], k = scores.Shape[1], plane = scores.Shape[2] * scores.Shape[3];
        float[] s = scores.ToArray();
        var map = new int[n * plane];
        for (int b = 0; b < n; b++)
        for (int p = 0; p < plane; p++)
        {
            long at = (long)b * k * plane + p;
            int best = 0;
            for (int c = 1; c < k; c++)
                if (s[at + (long)c * plane] > s[at + (long)best * plane]) best = c;
            map[b * plane + p] = best;
        }
        return map;
    }
}
