using ContextNets.Data;
using ContextNets.IO;

namespace ContextNets.Analysis;

/// <summary>
/// The pieces of the heat-map pictures, drawn into a <see cref="Canvas"/>: an image enlarged by an integer
/// factor (nearest neighbour, so its pixels stay visible), an attention map upsampled bilinearly to the
/// enlarged image (half-pixel centres, as align_corners=False) and blended in <see cref="ColorMap"/> colours
/// over the image in gray, and square query markers.
/// </summary>
public static class HeatMap
{
    /// <summary>How much of the colour a blended pixel takes; the rest is the gray image.</summary>
    public const double Opacity = 0.65;

    /// <summary>The enlargement that makes an image about 112 pixels on its longer side (never smaller than it is).</summary>
    public static int Scale(int height, int width) => Math.Max(1, (int)Math.Ceiling(112.0 / Math.Max(height, width)));

    /// <summary>The image, <paramref name="scale"/> times larger, with its top-left corner at (x0, y0).</summary>
    public static void DrawImage(Canvas canvas, int x0, int y0, Image8 image, int scale)
    {
        for (int y = 0; y < image.Height * scale; y++)
            for (int x = 0; x < image.Width * scale; x++)
            {
                int sy = y / scale, sx = x / scale;
                canvas.Set(x0 + x, y0 + y, image.Channels == 1
                    ? Gray(image[sy, sx])
                    : (image[sy, sx, 0], image[sy, sx, 1], image[sy, sx, 2]));
            }
    }

    /// <summary>
    /// The map [mapHeight, mapWidth] (row-major) over the image in gray, both <paramref name="scale"/> times the
    /// image's size; the colour of a value v is <see cref="ColorMap"/> at v / <paramref name="max"/>.
    /// </summary>
    public static void DrawOverlay(Canvas canvas, int x0, int y0, Image8 image, int scale, ReadOnlySpan<float> map, int mapHeight, int mapWidth, double max)
    {
        if (map.Length != mapHeight * mapWidth)
            throw new ArgumentException($"HeatMap: {map.Length} values are not a {mapHeight}x{mapWidth} map.");
        var gray = image.WithChannels(1);
        int h = image.Height * scale, w = image.Width * scale;
        var (ys, xs) = (Taps(h, mapHeight), Taps(w, mapWidth));
        double inv = max > 0 ? 1 / max : 0;
        for (int y = 0; y < h; y++)
        {
            var (y0i, y1i, fy) = ys[y];
            for (int x = 0; x < w; x++)
            {
                var (x0i, x1i, fx) = xs[x];
                double top = map[y0i * mapWidth + x0i] * (1 - fx) + map[y0i * mapWidth + x1i] * fx;
                double bottom = map[y1i * mapWidth + x0i] * (1 - fx) + map[y1i * mapWidth + x1i] * fx;
                var c = ColorMap.At((top * (1 - fy) + bottom * fy) * inv);
                byte g = gray[y / scale, x / scale];
                canvas.Set(x0 + x, y0 + y, (Blend(g, c.r), Blend(g, c.g), Blend(g, c.b)));
            }
        }
    }

    /// <summary>
    /// A square marker of <paramref name="size"/> pixels (odd) centred on (cx, cy): the colour inside a one-pixel
    /// ring in black, or in white for a dark colour, so that it shows on any background.
    /// </summary>
    public static void DrawMarker(Canvas canvas, int cx, int cy, (byte r, byte g, byte b) color, int size = 9)
    {
        int half = size / 2;
        bool dark = 0.299 * color.r + 0.587 * color.g + 0.114 * color.b < 96;
        canvas.Fill(cx - half, cy - half, size, size, dark ? ((byte)255, (byte)255, (byte)255) : ((byte)0, (byte)0, (byte)0));
        canvas.Fill(cx - half + 1, cy - half + 1, size - 2, size - 2, color);
    }

    /// <summary>The pixel of the enlarged image at the centre of map cell (row, col) of a map of the given size.</summary>
    public static (int x, int y) CellCentre(int row, int col, int mapHeight, int mapWidth, int height, int width) =>
        ((int)((col + 0.5) * width / mapWidth), (int)((row + 0.5) * height / mapHeight));

    /// <summary>A map value for a picture's labels: 3 significant digits, with an exponent below 0.01 (the font has digits, '.', '-' and E).</summary>
    public static string Legend(double v) =>
        v.ToString(v != 0 && Math.Abs(v) < 0.01 ? "0.00E-0" : "0.###", System.Globalization.CultureInfo.InvariantCulture);

    private static byte Blend(byte gray, byte color) => (byte)Math.Round((1 - Opacity) * gray + Opacity * color);

    private static (byte, byte, byte) Gray(byte v) => (v, v, v);

    /// <summary>For each output pixel, the two source cells and the weight of the second.</summary>
    private static (int lo, int hi, double f)[] Taps(int size, int source)
    {
        var taps = new (int, int, double)[size];
        for (int i = 0; i < size; i++)
        {
            double s = Math.Clamp((i + 0.5) * source / size - 0.5, 0, source - 1);
            int lo = (int)s;
            taps[i] = (lo, Math.Min(lo + 1, source - 1), s - lo);
        }
        return taps;
    }
}
