using ContextNets.IO;

namespace ContextNets.Analysis;

/// <summary>A column of a heat-map grid: its label, with a marker swatch before it when it shows a query.</summary>
public readonly record struct GridColumn(string Label, (byte r, byte g, byte b)? Swatch = null);

/// <summary>
/// The layout of a heat-map picture on white: a title, labelled columns, rows of equal cells drawn by the
/// caller, each with an optional note on its right (its colour scale's top), and a colour bar that says what the
/// colours mean.
/// </summary>
public static class HeatMapGrid
{
    private const int Margin = 12, Gap = 6, BarHeight = 12;
    private static readonly (byte, byte, byte) Background = (255, 255, 255), Ink = (40, 40, 40);

    private static int Top => Margin + 2 * Canvas.LineHeight() + 3 * Gap;

    /// <summary>The top-left corner of a cell in the picture <see cref="Render"/> makes with cells of this size.</summary>
    public static (int x, int y) CellOrigin(int row, int column, int cellWidth, int cellHeight) =>
        (Margin + column * (cellWidth + Gap), Top + row * (cellHeight + Gap));

    /// <summary>The picture; <paramref name="draw"/>(canvas, row, column, x, y) fills the cell whose top-left corner is (x, y).</summary>
    public static Canvas Render(string title, IReadOnlyList<GridColumn> columns, int rows, int cellWidth, int cellHeight,
        Action<Canvas, int, int, int, int> draw, string legend, Func<int, string>? rowNote = null)
    {
        if (columns.Count < 1 || rows < 1 || cellWidth < 1 || cellHeight < 1)
            throw new ArgumentException($"HeatMapGrid: {rows} rows of {columns.Count} cells of {cellWidth}x{cellHeight} draw nothing.");
        int line = Canvas.LineHeight();
        var notes = Enumerable.Range(0, rows).Select(r => rowNote?.Invoke(r) ?? "").ToArray();
        int noteWidth = notes.Max(n => Canvas.TextWidth(n));
        int gridWidth = columns.Count * cellWidth + (columns.Count - 1) * Gap + (noteWidth > 0 ? Gap + noteWidth : 0);
        int barWidth = Math.Max(cellWidth, 96);
        int legendWidth = barWidth + Gap + Canvas.TextWidth(legend);
        int width = 2 * Margin + Math.Max(gridWidth, Math.Max(Canvas.TextWidth(title), legendWidth));
        int height = Top + rows * cellHeight + (rows - 1) * Gap + 2 * Gap + BarHeight + 4 + line + Margin;
        var canvas = new Canvas(width, height, Background);
        canvas.Text(Margin, Margin, title, Ink);

        int labelY = Margin + line + 2 * Gap;
        for (int c = 0; c < columns.Count; c++)
        {
            int x = Margin + c * (cellWidth + Gap);
            if (columns[c].Swatch is { } swatch)
            {
                HeatMap.DrawMarker(canvas, x + line / 2, labelY + line / 2, swatch, line | 1);
                x += line + Gap;
            }
            canvas.Text(x, labelY, columns[c].Label, Ink);
        }
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns.Count; c++)
            {
                var (x, y) = CellOrigin(r, c, cellWidth, cellHeight);
                draw(canvas, r, c, x, y);
            }
            var (noteX, noteY) = CellOrigin(r, columns.Count, cellWidth, cellHeight);
            canvas.Text(noteX, noteY + (cellHeight - line) / 2, notes[r], Ink);
        }

        int barY = Top + rows * cellHeight + (rows - 1) * Gap + 2 * Gap;
        for (int x = 0; x < barWidth; x++)
            canvas.Fill(Margin + x, barY, 1, BarHeight, ColorMap.At((double)x / (barWidth - 1)));
        canvas.Text(Margin, barY + BarHeight + 4, "0", Ink);
        canvas.Text(Margin + barWidth + Gap, barY, legend, Ink);
        return canvas;
    }
}
