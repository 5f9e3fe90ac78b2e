namespace ContextNets.Tests.Reference;

/// <summary>3-D max and average pooling over [N, C, D, H, W] with their backwards, as PyTorch defines them (floor mode).</summary>
internal static class RefPool3d
{
    /// <summary>The maxima, and for each output the flat input index it came from (the first of equal maxima).</summary>
    public static (RefTensor y, int[] argmax) MaxForward(RefTensor x, int[] kernel, Ref3d g)
    {
        var y = new RefTensor([x.Shape[0], x.Shape[1], .. g.Out(x.Shape[2..], kernel)]);
        var best = new double[y.Length];
        var argmax = new int[y.Length];
        Array.Fill(best, double.NegativeInfinity);
        Visit(x, y, kernel, g, (o, at) =>
        {
            if (at >= 0 && x.Data[at] > best[o]) { best[o] = x.Data[at]; argmax[o] = at; }
        });
        Array.Copy(best, y.Data, y.Length);
        return (y, argmax);
    }

    public static RefTensor MaxBackward(int[] xShape, int[] argmax, RefTensor gy)
    {
        var gx = new RefTensor(xShape);
        for (int o = 0; o < gy.Length; o++) gx.Data[argmax[o]] += gy.Data[o];
        return gx;
    }

    /// <summary>The window means; with <paramref name="countIncludePad"/> padded taps count in the divisor as zeros.</summary>
    public static RefTensor AvgForward(RefTensor x, int[] kernel, Ref3d g, bool countIncludePad)
    {
        var y = new RefTensor([x.Shape[0], x.Shape[1], .. g.Out(x.Shape[2..], kernel)]);
        var count = Divisors(x, y, kernel, g, countIncludePad);
        Visit(x, y, kernel, g, (o, at) => { if (at >= 0) y.Data[o] += x.Data[at] / count[o]; });
        return y;
    }

    public static RefTensor AvgBackward(RefTensor x, RefTensor gy, int[] kernel, Ref3d g, bool countIncludePad)
    {
        var gx = new RefTensor(x.Shape);
        var count = Divisors(x, gy, kernel, g, countIncludePad);
        Visit(x, gy, kernel, g, (o, at) => { if (at >= 0) gx.Data[at] += gy.Data[o] / count[o]; });
        return gx;
    }

    private static int[] Divisors(RefTensor x, RefTensor y, int[] kernel, Ref3d g, bool countIncludePad)
    {
        var count = new int[y.Length];
        Visit(x, y, kernel, g, (o, at) => { if (at >= 0 || countIncludePad) count[o]++; });
        return count;
    }

    // Every (flat output index, flat input index or -1 in the padding) pair of the windows.
    private static void Visit(RefTensor x, RefTensor y, int[] kernel, Ref3d g, Action<int, int> act)
    {
        var size = x.Shape[2..];
        for (int i = 0; i < y.Shape[0]; i++)
        for (int c = 0; c < y.Shape[1]; c++)
        for (int od = 0; od < y.Shape[2]; od++)
        for (int oh = 0; oh < y.Shape[3]; oh++)
        for (int ow = 0; ow < y.Shape[4]; ow++)
        for (int kd = 0; kd < kernel[0]; kd++)
        for (int kh = 0; kh < kernel[1]; kh++)
        for (int kw = 0; kw < kernel[2]; kw++)
        {
            var at = g.Tap(size, (od, oh, ow), (kd, kh, kw));
            act(y.Offset(i, c, od, oh, ow), at is { } p ? x.Offset(i, c, p.d, p.h, p.w) : -1);
        }
    }
}
