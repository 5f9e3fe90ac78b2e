namespace ContextNets.Tests.Reference;

/// <summary>
/// The split-attention reductions over a radix-major feature map u [N, R*C, H, W],
/// whose channel r*C + c is split r of channel c: the pooled sum over splits
/// and the gate-weighted sum over splits, with their backwards.
/// </summary>
internal static class RefRadix
{
    /// <summary>gap[n, c] = mean over (h, w) of sum over r of u[n, r*C + c, h, w]; shape [N, C, 1, 1].</summary>
    public static RefTensor Gap(RefTensor u, int radix)
    {
        var (n, c, h, w) = Dims(u, radix);
        var y = new RefTensor([n, c, 1, 1]);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
            {
                double s = 0;
                for (int r = 0; r < radix; r++)
                    for (int i = 0; i < h; i++)
                        for (int j = 0; j < w; j++)
                            s += u[b, r * c + ch, i, j];
                y[b, ch, 0, 0] = s / (h * w);
            }
        return y;
    }

    public static RefTensor GapBackward(RefTensor gy, int[] uShape, int radix)
    {
        var gu = new RefTensor(uShape);
        int c = uShape[1] / radix, hw = uShape[2] * uShape[3];
        for (int b = 0; b < uShape[0]; b++)
            for (int ch = 0; ch < uShape[1]; ch++)
                for (int i = 0; i < uShape[2]; i++)
                    for (int j = 0; j < uShape[3]; j++)
                        gu[b, ch, i, j] = gy[b, ch % c, 0, 0] / hw;
        return gu;
    }

    /// <summary>y[n, c, h, w] = sum over r of a[n, r, c] * u[n, r*C + c, h, w].</summary>
    public static RefTensor Combine(RefTensor u, RefTensor a)
    {
        int radix = a.Shape[1];
        var (n, c, h, w) = Dims(u, radix);
        var y = new RefTensor([n, c, h, w]);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                    {
                        double s = 0;
                        for (int r = 0; r < radix; r++) s += a[b, r, ch] * u[b, r * c + ch, i, j];
                        y[b, ch, i, j] = s;
                    }
        return y;
    }

    public static (RefTensor gu, RefTensor ga) CombineBackward(RefTensor u, RefTensor a, RefTensor gy)
    {
        int radix = a.Shape[1];
        var (n, c, h, w) = Dims(u, radix);
        var gu = new RefTensor(u.Shape);
        var ga = new RefTensor(a.Shape);
        for (int b = 0; b < n; b++)
            for (int r = 0; r < radix; r++)
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < h; i++)
                        for (int j = 0; j < w; j++)
                        {
                            gu[b, r * c + ch, i, j] = a[b, r, ch] * gy[b, ch, i, j];
                            ga[b, r, ch] += u[b, r * c + ch, i, j] * gy[b, ch, i, j];
                        }
        return (gu, ga);
    }

    private static (int n, int c, int h, int w) Dims(RefTensor u, int radix) => (u.Shape[0], u.Shape[1] / radix, u.Shape[2], u.Shape[3]);
}
