namespace ContextNets.Tests.Reference;

/// <summary>A pooling window: kernel, stride, padding and dilation per spatial axis, and the output rounding, as PyTorch counts them.</summary>
internal readonly record struct RefWindow(int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh = 1, int Dw = 1, bool Ceil = false)
{
    public int OutH(int h) => OutSize(h, Kh, Sh, Ph, Dh);
    public int OutW(int w) => OutSize(w, Kw, Sw, Pw, Dw);

    // Ceil mode keeps a last partial window only if it starts inside the input or its left padding.
    private int OutSize(int size, int k, int s, int p, int d)
    {
        int last = size + 2 * p - d * (k - 1) - 1;
        if (!Ceil) return last / s + 1;
        int n = (int)Math.Ceiling(last / (double)s) + 1;
        return (n - 1) * s >= size + p ? n - 1 : n;
    }
}

/// <summary>Max, average and global average pooling with their backwards, as PyTorch defines them (floor or ceil mode).</summary>
internal static class RefPool
{
    /// <summary>The maxima, and for each output the flat input index it came from (the first of equal maxima).</summary>
    public static (RefTensor y, int[] argmax) MaxForward(RefTensor x, RefWindow k)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = k.OutH(h), ow = k.OutW(w);
        var y = new RefTensor([n, c, oh, ow]);
        var argmax = new int[y.Length];
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int p = 0; p < oh; p++)
        for (int q = 0; q < ow; q++)
        {
            double best = double.NegativeInfinity;
            int at = -1;
            for (int u = 0; u < k.Kh; u++)
            for (int v = 0; v < k.Kw; v++)
            {
                int hi = p * k.Sh - k.Ph + u * k.Dh, wi = q * k.Sw - k.Pw + v * k.Dw;
                if (hi < 0 || hi >= h || wi < 0 || wi >= w) continue;
                if (x[i, ch, hi, wi] > best) { best = x[i, ch, hi, wi]; at = x.Offset(i, ch, hi, wi); }
            }
            y[i, ch, p, q] = best;
            argmax[y.Offset(i, ch, p, q)] = at;
        }
        return (y, argmax);
    }

    public static RefTensor MaxBackward(int[] xShape, int[] argmax, RefTensor gy)
    {
        var gx = new RefTensor(xShape);
        for (int o = 0; o < gy.Length; o++) gx.Data[argmax[o]] += gy.Data[o];
        return gx;
    }

    public static RefTensor AvgForward(RefTensor x, RefWindow k, bool countIncludePad)
    {
        int n = x.Shape[0], c = x.Shape[1], oh = k.OutH(x.Shape[2]), ow = k.OutW(x.Shape[3]);
        var y = new RefTensor([n, c, oh, ow]);
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int p = 0; p < oh; p++)
        for (int q = 0; q < ow; q++)
        {
            var (h0, h1, w0, w1, divisor) = AvgWindow(x.Shape, k, p, q, countIncludePad);
            double s = 0;
            for (int hi = h0; hi < h1; hi++)
            for (int wi = w0; wi < w1; wi++)
                s += x[i, ch, hi, wi];
            y[i, ch, p, q] = s / divisor;
        }
        return y;
    }

    public static RefTensor AvgBackward(int[] xShape, RefWindow k, bool countIncludePad, RefTensor gy)
    {
        var gx = new RefTensor(xShape);
        for (int i = 0; i < gy.Shape[0]; i++)
        for (int ch = 0; ch < gy.Shape[1]; ch++)
        for (int p = 0; p < gy.Shape[2]; p++)
        for (int q = 0; q < gy.Shape[3]; q++)
        {
            var (h0, h1, w0, w1, divisor) = AvgWindow(xShape, k, p, q, countIncludePad);
            for (int hi = h0; hi < h1; hi++)
            for (int wi = w0; wi < w1; wi++)
                gx[i, ch, hi, wi] += gy[i, ch, p, q] / divisor;
        }
        return gx;
    }

    // PyTorch's avg_pool2d: the divisor counts the window clipped to the padded input, or to the input itself without count_include_pad.
    private static (int h0, int h1, int w0, int w1, int divisor) AvgWindow(int[] xShape, RefWindow k, int p, int q, bool countIncludePad)
    {
        int h = xShape[2], w = xShape[3];
        int h0 = p * k.Sh - k.Ph, w0 = q * k.Sw - k.Pw;
        int h1 = Math.Min(h0 + k.Kh, h + k.Ph), w1 = Math.Min(w0 + k.Kw, w + k.Pw);
        int padded = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0);
        h1 = Math.Min(h1, h); w1 = Math.Min(w1, w);
        return (h0, h1, w0, w1, countIncludePad ? padded : (h1 - h0) * (w1 - w0));
    }

    public static RefTensor GlobalAvgForward(RefTensor x)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var y = new RefTensor([n, c, 1, 1]);
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        {
            double s = 0;
            for (int j = 0; j < hw; j++) s += x.Data[(i * c + ch) * hw + j];
            y[i, ch, 0, 0] = s / hw;
        }
        return y;
    }

    public static RefTensor GlobalAvgBackward(int[] xShape, RefTensor gy)
    {
        int n = xShape[0], c = xShape[1], hw = xShape[2] * xShape[3];
        var gx = new RefTensor(xShape);
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int j = 0; j < hw; j++)
            gx.Data[(i * c + ch) * hw + j] = gy[i, ch, 0, 0] / hw;
        return gx;
    }
}
