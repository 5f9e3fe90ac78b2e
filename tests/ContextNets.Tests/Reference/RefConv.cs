namespace ContextNets.Tests.Reference;

/// <summary>Direct-loop convolution, forward and both backwards, exactly as the definition reads.</summary>
internal static class RefConv
{
    public static RefTensor Forward(RefTensor x, RefTensor w, RefTensor? b, int stride, int pad, int dil, int groups)
    {
        int n = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int cout = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        int oh = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1, ow = (wd + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
        int cinG = cin / groups, coutG = cout / groups;
        var y = new RefTensor([n, cout, oh, ow]);
        for (int i = 0; i < n; i++)
        for (int o = 0; o < cout; o++)
        for (int p = 0; p < oh; p++)
        for (int q = 0; q < ow; q++)
        {
            double s = b is null ? 0 : b.Data[o];
            int g = o / coutG;
            for (int c = 0; c < cinG; c++)
            for (int u = 0; u < kh; u++)
            for (int v = 0; v < kw; v++)
            {
                int hi = p * stride - pad + u * dil, wi = q * stride - pad + v * dil;
                if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
                s += x[i, g * cinG + c, hi, wi] * w[o, c, u, v];
            }
            y[i, o, p, q] = s;
        }
        return y;
    }

    public static (RefTensor gx, RefTensor gw, RefTensor gb) Backward(RefTensor x, RefTensor w, RefTensor gy, int stride, int pad, int dil, int groups)
    {
        int n = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int cout = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        int oh = gy.Shape[2], ow = gy.Shape[3];
        int cinG = cin / groups, coutG = cout / groups;
        var gx = new RefTensor(x.Shape);
        var gw = new RefTensor(w.Shape);
        var gb = new RefTensor([cout]);
        for (int i = 0; i < n; i++)
        for (int o = 0; o < cout; o++)
        for (int p = 0; p < oh; p++)
        for (int q = 0; q < ow; q++)
        {
            double d = gy[i, o, p, q];
            gb.Data[o] += d;
            int g = o / coutG;
            for (int c = 0; c < cinG; c++)
            for (int u = 0; u < kh; u++)
            for (int v = 0; v < kw; v++)
            {
                int hi = p * stride - pad + u * dil, wi = q * stride - pad + v * dil;
                if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
                gx[i, g * cinG + c, hi, wi] += d * w[o, c, u, v];
                gw[o, c, u, v] += d * x[i, g * cinG + c, hi, wi];
            }
        }
        return (gx, gw, gb);
    }
}
