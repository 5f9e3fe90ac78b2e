namespace ContextNets.Tests.Reference;

/// <summary>
/// DropBlock written as timm writes it, from given uniform noise: the keep
/// mask ((2 - gamma - valid + u) >= 1), its min-pool (a max-pool of the negated
/// mask, kernel k, stride 1, padding k/2, first H x W outputs), and the scale
/// numel / (sum + 1e-7).
/// </summary>
internal static class RefDropBlock
{
    public static (double[] mask, double scale) Mask(int[] shape, double[] noise, double dropProb, int blockSize, double gammaScale)
    {
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        int k = Math.Min(blockSize, Math.Min(h, w));
        double gamma = gammaScale * dropProb * h * w / (k * k) / ((double)(w - k + 1) * (h - k + 1));
        var negKeep = new RefTensor(shape);
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            bool valid = x >= k / 2 && x < w - (k - 1) / 2 && y >= k / 2 && y < h - (k - 1) / 2;
            int at = negKeep.Offset(i, ch, y, x);
            negKeep.Data[at] = 2 - gamma - (valid ? 1 : 0) + noise[at] >= 1 ? -1 : 0;
        }
        var (pooled, _) = RefPool.MaxForward(negKeep, new RefWindow(k, k, 1, 1, k / 2, k / 2));
        var mask = new double[negKeep.Length];
        double sum = 0;
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            double v = -pooled[i, ch, y, x];
            mask[negKeep.Offset(i, ch, y, x)] = v;
            sum += v;
        }
        return (mask, mask.Length / (sum + 1e-7));
    }

    public static RefTensor Forward(RefTensor x, double[] mask, double scale) => Apply(x, mask, scale);

    public static RefTensor Backward(RefTensor gy, double[] mask, double scale) => Apply(gy, mask, scale);

    private static RefTensor Apply(RefTensor t, double[] mask, double scale)
    {
        var y = new RefTensor(t.Shape);
        for (int i = 0; i < t.Length; i++) y.Data[i] = t.Data[i] * mask[i] * scale;
        return y;
    }
}
