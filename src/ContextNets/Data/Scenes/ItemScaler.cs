namespace ContextNets.Data.Scenes;

/// <summary>Bilinear scaling of a gray item to a square side, with half-pixel centres and clamped edges (PIL's and OpenCV's convention for enlarging).</summary>
internal static class ItemScaler
{
    public static byte[] Scale(Image8 item, int side)
    {
        if (item.Channels != 1) throw new ArgumentException($"Scenes paste gray items, not {item.Channels}-channel ones.");
        var output = new byte[side * side];
        double fy = (double)item.Height / side, fx = (double)item.Width / side;
        for (int y = 0; y < side; y++)
        {
            var (y0, y1, wy) = Taps((y + 0.5) * fy - 0.5, item.Height);
            for (int x = 0; x < side; x++)
            {
                var (x0, x1, wx) = Taps((x + 0.5) * fx - 0.5, item.Width);
                double top = item[y0, x0] + wx * (item[y0, x1] - item[y0, x0]);
                double bottom = item[y1, x0] + wx * (item[y1, x1] - item[y1, x0]);
                output[y * side + x] = (byte)Math.Round(top + wy * (bottom - top));
            }
        }
        return output;
    }

    private static (int lo, int hi, double weight) Taps(double at, int length)
    {
        at = Math.Clamp(at, 0, length - 1);
        int lo = (int)Math.Floor(at);
        int hi = Math.Min(lo + 1, length - 1);
        return (lo, hi, at - lo);
    }
}
