using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// PyTorch's F.interpolate(x, size, mode="bilinear", align_corners=False) on [N, C, H, W]: output pixel i samples
    /// the input at (i + 0.5) * in / out - 0.5, clamped below at 0, between its two neighbours (the upper one clamped
    /// to the edge). The gradient scatters back with the same weights. The output is contiguous.
    /// </summary>
    public static Tensor UpsampleBilinear(Tensor x, int height, int width)
    {
        if (x.Rank != 4) throw new ArgumentException($"bilinear interpolation expects [N, C, H, W], got {x.Shape}.");
        if (height < 1 || width < 1) throw new ArgumentException($"bilinear interpolation: the output size {height}x{width} must be positive.");
        using var contiguous = x.IsContiguous ? x.Alias() : Contiguous(x);
        int planes = x.Shape[0] * x.Shape[1], ih = x.Shape[2], iw = x.Shape[3];
        var rows = BilinearTaps.For(ih, height);
        var cols = BilinearTaps.For(iw, width);
        var y = Tensor.Empty(new Shape(x.Shape[0], x.Shape[1], height, width));
        BilinearTaps.Forward(contiguous.Span, y.Span, planes, ih, iw, rows, cols);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "upsample_bilinear", [x], gy =>
        {
            using var g = gy.IsContiguous ? gy.Alias() : Contiguous(gy);
            var gx = Tensor.Zeros(x.Shape);
            BilinearTaps.Backward(g.Span, gx.Span, planes, ih, iw, rows, cols);
            return [gx];
        });
    }
}
