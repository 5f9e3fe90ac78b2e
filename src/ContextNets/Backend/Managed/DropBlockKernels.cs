namespace ContextNets.Backend.Managed;

/// <summary>
/// DropBlock masks (Ghiasi et al. 2018) with timm's drop_block_2d semantics
/// (batchwise off, no noise fill): a seed falls at a valid center with
/// probability gamma, its k x k block is dropped, and the survivors are
/// scaled by numel / (kept + 1e-7) in float32. The uniform noise is the
/// dropout hash of (seed, logical NCHW index), so the mask does not depend
/// on the layout or the thread count.
/// </summary>
internal static class DropBlockKernels
{
    /// <summary>The block side actually used: the requested one, clipped to the feature map.</summary>
    public static int ClippedBlock(int blockSize, int h, int w) => Math.Min(blockSize, Math.Min(h, w));

    /// <summary>
    /// timm's gamma, with the clipped block in the count of valid centers (timm uses the unclipped size there,
    /// which turns non-positive when the block is larger than the map).
    /// </summary>
    public static double Gamma(double dropProb, int blockSize, double gammaScale, int h, int w)
    {
        int k = ClippedBlock(blockSize, h, w);
        return gammaScale * dropProb * h * w / (k * k) / ((double)(w - k + 1) * (h - k + 1));
    }

    public static double Noise(long seed, int index) => DropoutKernels.Uniform((ulong)seed, (ulong)index);

    /// <summary>In logical NCHW order: the scale where an element is kept, 0 where it is dropped.</summary>
    public static float[] Mask(int n, int c, int h, int w, double dropProb, int blockSize, double gammaScale, long seed)
    {
        int k = ClippedBlock(blockSize, h, w), plane = h * w;
        double gamma = Gamma(dropProb, blockSize, gammaScale, h, w);
        var mask = new float[n * c * plane];
        Array.Fill(mask, 1f);
        int lo = k / 2;
        int hiY = h - (k - 1) / 2, hiX = w - (k - 1) / 2;
        // A seed at s drops the outputs [s - (k-1)/2, s + k/2] on each axis: the windows of the stride-1 min-pool with padding k/2 that contain it.
        Par.For(n * c, plane, (begin, end) =>
        {
            for (int p = begin; p < end; p++)
            {
                int baseIndex = p * plane;
                for (int sy = lo; sy < hiY; sy++)
                    for (int sx = lo; sx < hiX; sx++)
                    {
                        if (Noise(seed, baseIndex + sy * w + sx) >= gamma) continue;
                        int y0 = Math.Max(0, sy - (k - 1) / 2), y1 = Math.Min(h - 1, sy + k / 2);
                        int x0 = Math.Max(0, sx - (k - 1) / 2), x1 = Math.Min(w - 1, sx + k / 2);
                        for (int y = y0; y <= y1; y++)
                            Array.Fill(mask, 0f, baseIndex + y * w + x0, x1 - x0 + 1);
                    }
            }
        });
        int kept = 0;
        foreach (var v in mask)
            if (v != 0f) kept++;
        float scale = mask.Length / ((float)kept + 1e-7f);
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] != 0f) mask[i] = scale;
        return mask;
    }
}
