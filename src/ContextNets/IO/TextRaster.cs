using SkiaSharp;

namespace ContextNets.IO;

/// <summary>
/// Anti-aliased text for <see cref="Canvas"/>, in DejaVu Sans (Debian's fonts-dejavu-core, which the install scripts
/// bring) through SkiaSharp. Without that font Skia's default face is used, so a picture never fails for its text.
/// </summary>
internal static class TextRaster
{
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<SKTypeface> Face = new(() => SKTypeface.FromFamilyName(Family) ?? SKTypeface.Default);

    /// <summary>Whether the machine has <see cref="Family"/>: Skia answers a missing family with its default face.</summary>
    public static bool HasFamily => Face.Value.FamilyName == Family;

    /// <summary>The advance width of <paramref name="text"/> at <paramref name="size"/> pixels, rounded up.</summary>
    public static int Width(string text, float size)
    {
        if (text.Length == 0) return 0;
        using var font = new SKFont(Face.Value, size);
        return (int)Math.Ceiling(font.MeasureText(text));
    }

    /// <summary>The height of a line of text at <paramref name="size"/> pixels: ascent plus descent, rounded up.</summary>
    public static int LineHeight(float size)
    {
        using var font = new SKFont(Face.Value, size);
        var m = font.Metrics;
        return (int)Math.Ceiling(m.Descent - m.Ascent);
    }

    /// <summary>
    /// Blends <paramref name="text"/> in <paramref name="color"/> into the canvas with its line box's top-left corner at
    /// (x, y): Skia renders the glyphs' coverage into an 8-bit mask, which weighs the colour against what is there.
    /// </summary>
    public static void Draw(Canvas canvas, int x, int y, string text, (byte r, byte g, byte b) color, float size)
    {
        int w = Width(text, size), h = LineHeight(size);
        if (w == 0) return;
        using var font = new SKFont(Face.Value, size) { Edging = SKFontEdging.Antialias };
        using var mask = new SKBitmap(new SKImageInfo(w, h, SKColorType.Alpha8, SKAlphaType.Premul));
        using (var surface = new SKCanvas(mask))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            surface.Clear(SKColors.Transparent);
            surface.DrawText(text, 0, -font.Metrics.Ascent, font, paint);
        }
        var coverage = mask.GetPixelSpan();
        int stride = mask.RowBytes;
        for (int row = 0; row < h; row++)
            for (int col = 0; col < w; col++)
            {
                byte a = coverage[row * stride + col];
                if (a == 0) continue;
                int px = x + col, py = y + row;
                if ((uint)px >= (uint)canvas.Width || (uint)py >= (uint)canvas.Height) continue;
                var under = canvas.Get(px, py);
                canvas.Set(px, py, (Mix(under.r, color.r, a), Mix(under.g, color.g, a), Mix(under.b, color.b, a)));
            }
    }

    private static byte Mix(byte under, byte over, byte alpha) => (byte)((under * (255 - alpha) + over * alpha + 127) / 255);
}
