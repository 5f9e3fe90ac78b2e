namespace ContextNets.Tests.Reference;

/// <summary>A 3-D window's numbers per axis (d, h, w): kernel from the weight or pool, and stride, padding, dilation.</summary>
internal readonly record struct Ref3d((int d, int h, int w) Stride, (int d, int h, int w) Pad, (int d, int h, int w) Dilation)
{
    public static Ref3d Cube(int stride, int pad, int dilation) => new((stride, stride, stride), (pad, pad, pad), (dilation, dilation, dilation));

    public int[] Out(int[] size, int[] kernel) =>
    [
        (size[0] + 2 * Pad.d - Dilation.d * (kernel[0] - 1) - 1) / Stride.d + 1,
        (size[1] + 2 * Pad.h - Dilation.h * (kernel[1] - 1) - 1) / Stride.h + 1,
        (size[2] + 2 * Pad.w - Dilation.w * (kernel[2] - 1) - 1) / Stride.w + 1,
    ];

    /// <summary>The input position read by output position o at kernel tap k, per axis, or null in the padding.</summary>
    public (int d, int h, int w)? Tap(int[] size, (int d, int h, int w) o, (int d, int h, int w) k)
    {
        int d = o.d * Stride.d - Pad.d + k.d * Dilation.d, h = o.h * Stride.h - Pad.h + k.h * Dilation.h, w = o.w * Stride.w - Pad.w + k.w * Dilation.w;
        return d < 0 || d >= size[0] || h < 0 || h >= size[1] || w < 0 || w >= size[2] ? null : (d, h, w);
    }
}

/// <summary>Direct-loop 3-D convolution over [N, C, D, H, W], forward and both backwards, exactly as the definition reads.</summary>
internal static class RefConv3d
{
    public static RefTensor Forward(RefTensor x, RefTensor w, RefTensor? b, Ref3d g, int groups)
    {
        var y = new RefTensor(OutShape(x, w, g));
        Visit(x, w, g, groups, y.Shape, (i, o, op, ci, k, at) =>
        {
            double v = at is { } p ? x[i, ci, p.d, p.h, p.w] * w[o, ci % (x.Shape[1] / groups), k.d, k.h, k.w] : 0;
            y[i, o, op.d, op.h, op.w] += v;
        });
        if (b is not null)
            for (int j = 0; j < y.Length; j++) y.Data[j] += b.Data[j / (y.Length / y.Shape[0] / y.Shape[1]) % y.Shape[1]];
        return y;
    }

    public static (RefTensor gx, RefTensor gw, RefTensor gb) Backward(RefTensor x, RefTensor w, RefTensor gy, Ref3d g, int groups)
    {
        var gx = new RefTensor(x.Shape);
        var gw = new RefTensor(w.Shape);
        var gb = new RefTensor([w.Shape[0]]);
        int cinG = x.Shape[1] / groups;
        Visit(x, w, g, groups, gy.Shape, (i, o, op, ci, k, at) =>
        {
            if (at is not { } p) return;
            double d = gy[i, o, op.d, op.h, op.w];
            gx[i, ci, p.d, p.h, p.w] += d * w[o, ci % cinG, k.d, k.h, k.w];
            gw[o, ci % cinG, k.d, k.h, k.w] += d * x[i, ci, p.d, p.h, p.w];
        });
        for (int j = 0; j < gy.Length; j++) gb.Data[j / (gy.Length / gy.Shape[0] / gy.Shape[1]) % gy.Shape[1]] += gy.Data[j];
        return (gx, gw, gb);
    }

    private static int[] OutShape(RefTensor x, RefTensor w, Ref3d g) =>
        [x.Shape[0], w.Shape[0], .. g.Out(x.Shape[2..], w.Shape[2..])];

    private delegate void TapAction(int n, int o, (int d, int h, int w) outPos, int inChannel, (int d, int h, int w) k, (int d, int h, int w)? at);

    // Every (sample, output channel, output position, input channel of its group, kernel tap).
    private static void Visit(RefTensor x, RefTensor w, Ref3d g, int groups, int[] yShape, TapAction act)
    {
        int cinG = x.Shape[1] / groups, coutG = w.Shape[0] / groups;
        var size = x.Shape[2..];
        for (int i = 0; i < yShape[0]; i++)
        for (int o = 0; o < yShape[1]; o++)
        for (int od = 0; od < yShape[2]; od++)
        for (int oh = 0; oh < yShape[3]; oh++)
        for (int ow = 0; ow < yShape[4]; ow++)
        for (int c = 0; c < cinG; c++)
        for (int kd = 0; kd < w.Shape[2]; kd++)
        for (int kh = 0; kh < w.Shape[3]; kh++)
        for (int kw = 0; kw < w.Shape[4]; kw++)
            act(i, o, (od, oh, ow), o / coutG * cinG + c, (kd, kh, kw), g.Tap(size, (od, oh, ow), (kd, kh, kw)));
    }
}
