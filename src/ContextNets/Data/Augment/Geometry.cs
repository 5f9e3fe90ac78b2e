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
    /// <summary>out(x, y) = in(floor(a X + b Y + c), floor(d X + e Y + f)) with X = x + 0.5, Y = y + 0.5; zero where that falls outside.</summary>
    public static Image8 AffineNearest(Image8 src, double a, double b, double c, double d, double e, double f)
    {
        var dst = src.Blank();
        int ch = src.Channels, w = src.Width, h = src.Height;
        for (int y = 0; y < h; y++)
        {
            double yc = y + 0.5;
            for (int x = 0; x < w; x++)
            {
                double xc = x + 0.5;
                double sx = a * xc + b * yc + c, sy = d * xc + e * yc + f;
                if (sx < 0 || sy < 0) continue;
                int ix = (int)sx, iy = (int)sy;
                if (ix >= w || iy >= h) continue;
                Array.Copy(src.Pixels, (iy * w + ix) * ch, dst.Pixels, (y * w + x) * ch, ch);
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
