using ScottPlot;
using SkiaSharp;

namespace ContextNets.IO;

/// <summary>
/// Line charts in one style, drawn by ScottPlot 5: real axes, ticks, legends and text in the pictures' font
/// (<see cref="TextRaster.Family"/>), rendered side by side into a <see cref="Canvas"/>.
/// </summary>
internal static class Charts
{
    /// <summary>A plot with a title and axis labels, in the pictures' font when the machine has it; the caller disposes it.</summary>
    public static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        if (TextRaster.HasFamily) plot.Font.Set(TextRaster.Family);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>A series of points joined by lines, with a marker on each; the points that are not finite are left out.</summary>
    public static void Line(Plot plot, IEnumerable<(double x, double y)> points, (byte r, byte g, byte b) color, string label)
    {
        var kept = points.Where(p => double.IsFinite(p.x) && double.IsFinite(p.y)).ToArray();
        var series = plot.Add.Scatter(kept.Select(p => p.x).ToArray(), kept.Select(p => p.y).ToArray(), new Color(color.r, color.g, color.b));
        series.LegendText = label;
        series.LineWidth = 2.5f;
        series.MarkerSize = 7;
    }

    /// <summary>
    /// The plots in a row, each <paramref name="panelWidth"/> x <paramref name="height"/> pixels. Each is drawn on its
    /// own bitmap, since ScottPlot clears the whole surface it draws on; a plot's pixel coordinates
    /// (<see cref="Plot.GetPixel(Coordinates)"/>) are then its panel's, left of the panel's offset.
    /// </summary>
    public static Canvas SideBySide(IReadOnlyList<Plot> panels, int panelWidth, int height)
    {
        var canvas = new Canvas(panelWidth * panels.Count, height, (255, 255, 255));
        var info = new SKImageInfo(panelWidth, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int i = 0; i < panels.Count; i++)
        {
            using var bitmap = new SKBitmap(info);
            using (var surface = new SKCanvas(bitmap)) panels[i].Render(surface, panelWidth, height);
            var rgba = bitmap.GetPixelSpan();
            for (int y = 0; y < height; y++)
                for (int x = 0; x < panelWidth; x++)
                {
                    int p = 4 * (y * bitmap.RowBytes / 4 + x);
                    canvas.Set(i * panelWidth + x, y, (rgba[p], rgba[p + 1], rgba[p + 2]));
                }
        }
        return canvas;
    }
}
