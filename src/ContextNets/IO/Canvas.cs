namespace ContextNets.IO;

/// <summary>
/// An RGB raster for the heat-map pictures: filled rectangles, thick lines, and anti-aliased text
/// (<see cref="TextRaster"/>). Saved with <see cref="Png"/>.
/// </summary>
public sealed class Canvas
{
    public Canvas(int width, int height, (byte r, byte g, byte b) background)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"A canvas needs a positive size, not {width}x{height}.");
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        Fill(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>HWC RGB.</summary>
    public byte[] Pixels { get; }

    public void Set(int x, int y, (byte r, byte g, byte b) c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        Pixels[i] = c.r;
        Pixels[i + 1] = c.g;
        Pixels[i + 2] = c.b;
    }

    public (byte r, byte g, byte b) Get(int x, int y)
    {
        int i = (y * Width + x) * 3;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    /// <summary>The rectangle [x, x + w) x [y, y + h), clipped to the canvas.</summary>
    public void Fill(int x, int y, int w, int h, (byte r, byte g, byte b) c)
    {
        for (int yy = Math.Max(0, y); yy < Math.Min(Height, y + h); yy++)
            for (int xx = Math.Max(0, x); xx < Math.Min(Width, x + w); xx++) Set(xx, yy, c);
    }

    /// <summary>A line from (x0, y0) to (x1, y1), <paramref name="thickness"/> pixels wide, by unit steps along its longer axis.</summary>
    public void Line(double x0, double y0, double x1, double y1, (byte r, byte g, byte b) c, int thickness = 1)
    {
        int steps = (int)Math.Ceiling(Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0)));
        int lo = -(thickness - 1) / 2;
        for (int i = 0; i <= steps; i++)
        {
            double t = steps == 0 ? 0 : (double)i / steps;
            int x = (int)Math.Round(x0 + t * (x1 - x0)), y = (int)Math.Round(y0 + t * (y1 - y0));
            Fill(x + lo, y + lo, thickness, thickness, c);
        }
    }

    /// <summary>The size of text, in pixels, that the pictures use unless they say otherwise.</summary>
    public const float TextSize = 14;

    /// <summary>Text whose line box has its top-left corner at (x, y), <paramref name="size"/> pixels high.</summary>
    public void Text(int x, int y, string text, (byte r, byte g, byte b) c, float size = TextSize) => TextRaster.Draw(this, x, y, text, c, size);

    /// <summary>The width <see cref="Text"/> gives a string.</summary>
    public static int TextWidth(string text, float size = TextSize) => TextRaster.Width(text, size);

    /// <summary>The height of the line box <see cref="Text"/> fills.</summary>
    public static int LineHeight(float size = TextSize) => TextRaster.LineHeight(size);
}
