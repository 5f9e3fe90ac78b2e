namespace ContextNets.Data.Augment;

/// <summary>
/// The geometric operations of AutoAugment and RandAugment, as torchvision
/// applies them to PIL images: an inverse affine map from each output pixel's
/// center (x + 0.5, y + 0.5) to input coordinates, nearest neighbour by
/// flooring (PIL's NEAREST), and fill 0 outside. Shears and translations use
/// the top-left corner as the center (torchvision passes center=[0, 0]);
/// rotation turns about the image center (w/2, h/2), counter-clockwise for a
/// positive angle, with PIL's rounding of the matrix to 15 decimals.
/// </summary>
public static class Geometry
{
    /// <summary>
    /// out(x, y) = in(floor(a X + b Y + c), floor(d X + e Y + f)) with X = x + 0.5, Y = y + 0.5; zero where that falls
    /// outside. Computed as PIL computes it, so that the pixels on the edge of a rounding agree: in 16.16 fixed point
    /// stepped along rows and columns when every coordinate fits (always, for images under 32768 pixels), otherwise in
    /// double precision, stepped the same way.
    /// </summary>
    public static Image8 AffineNearest(Image8 src, double a, double b, double c, double d, double e, double f)
    {
        int w = src.Width, h = src.Height;
        double[] m = [a, b, c, d, e, f];
        return FitsFixed(m, 0, 0) && FitsFixed(m, w, h) ? AffineFixed(src, m) : AffineFloat(src, m);
    }

    private static bool FitsFixed(double[] m, int x, int y) =>
        Math.Abs(x * m[0] + y * m[1] + m[2]) < 32768.0 && Math.Abs(x * m[3] + y * m[4] + m[5]) < 32768.0;

    private static int Fix(double v) => (int)Math.Floor(v * 65536.0 + 0.5);

    private static Image8 AffineFixed(Image8 src, double[] m)
    {
        var dst = src.Blank();
        int ch = src.Channels, w = src.Width, h = src.Height;
        int a0 = Fix(m[0]), a1 = Fix(m[1]), a3 = Fix(m[3]), a4 = Fix(m[4]);
        int a2 = Fix(m[2] + m[1] * 0.5 + m[0] * 0.5), a5 = Fix(m[5] + m[4] * 0.5 + m[3] * 0.5);
        for (int y = 0; y < h; y++, a2 += a1, a5 += a4)
        {
            int xx = a2, yy = a5;
            for (int x = 0; x < w; x++, xx += a0, yy += a3)
            {
                int ix = xx >> 16, iy = yy >> 16;
                if (ix >= 0 && ix < w && iy >= 0 && iy < h) Array.Copy(src.Pixels, (iy * w + ix) * ch, dst.Pixels, (y * w + x) * ch, ch);
            }
        }
        return dst;
    }

    private static Image8 AffineFloat(Image8 src, double[] m)
    {
        var dst = src.Blank();
        int ch = src.Channels, w = src.Width, h = src.Height;
        double xo = m[2] + m[1] * 0.5 + m[0] * 0.5, yo = m[5] + m[4] * 0.5 + m[3] * 0.5;
        for (int y = 0; y < h; y++, xo += m[1], yo += m[4])
        {
            double xx = xo, yy = yo;
            for (int x = 0; x < w; x++, xx += m[0], yy += m[3])
            {
                if (xx < 0 || yy < 0) continue;
                int ix = (int)xx, iy = (int)yy;
                if (ix < w && iy < h) Array.Copy(src.Pixels, (iy * w + ix) * ch, dst.Pixels, (y * w + x) * ch, ch);
            }
        }
        return dst;
    }

    /// <summary>out(x, y) = in(x + m y, y): torchvision's affine with shear atan(m) degrees along x.</summary>
    public static Image8 ShearX(Image8 image, double m) => AffineNearest(image, 1, m, 0, 0, 1, 0);

    /// <summary>out(x, y) = in(x, y + m x).</summary>
    public static Image8 ShearY(Image8 image, double m) => AffineNearest(image, 1, 0, 0, m, 1, 0);

    /// <summary>out(x, y) = in(x - dx, y - dy): a positive dx moves the content right.</summary>
    public static Image8 Translate(Image8 image, int dx, int dy) => AffineNearest(image, 1, 0, -dx, 0, 1, -dy);

    /// <summary>Rotates by <paramref name="degrees"/> counter-clockwise about the center, keeping the size (PIL's Image.rotate).</summary>
    public static Image8 Rotate(Image8 image, double degrees)
    {
        double t = -degrees * Math.PI / 180;
        double a = Math.Round(Math.Cos(t), 15), b = Math.Round(Math.Sin(t), 15);
        double d = Math.Round(-Math.Sin(t), 15), e = Math.Round(Math.Cos(t), 15);
        double cx = image.Width / 2.0, cy = image.Height / 2.0;
        double c = a * -cx + b * -cy + cx, f = d * -cx + e * -cy + cy;
        return AffineNearest(image, a, b, c, d, e, f);
    }
}
