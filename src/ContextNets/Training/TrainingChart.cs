using System.Globalization;
using ContextNets.IO;

namespace ContextNets.Training;

/// <summary>
/// chart.png: two panels side by side, the loss and the accuracy (percent) per
/// epoch, training in blue and test in orange, with ticks labelled in a pixel font.
/// </summary>
public static class TrainingChart
{
    public const string FileName = "chart.png";
    public const int Width = 960, Height = 400;

    private static readonly (byte, byte, byte) White = (255, 255, 255), Ink = (40, 40, 40), Grid = (225, 225, 225);
    public static readonly (byte r, byte g, byte b) TrainColor = (31, 119, 180), TestColor = (255, 127, 14);

    public static void Write(string path, IReadOnlyList<EpochMetrics> rows)
    {
        var canvas = Draw(rows);
        Png.Write(path, canvas.Pixels, canvas.Width, canvas.Height, 3);
    }

    public static Canvas Draw(IReadOnlyList<EpochMetrics> rows)
    {
        var canvas = new Canvas(Width, Height, White);
        int half = Width / 2;
        Panel(canvas, new Rect(0, 0, half, Height), "LOSS", rows, r => r.TrainLoss, r => r.TestLoss, percent: false);
        Panel(canvas, new Rect(half, 0, half, Height), "ACCURACY %", rows, r => 100 * r.TrainAccuracy, r => 100 * r.TestAccuracy, percent: true);
        return canvas;
    }

    private readonly record struct Rect(int X, int Y, int W, int H);

    /// <summary>Where the plot area of a panel lies: room on the left for the tick numbers, below for the epochs, above for the title.</summary>
    public static (int left, int top, int right, int bottom) PlotArea(int panelX, int panelWidth) =>
        (panelX + 70, 40, panelX + panelWidth - 20, Height - 50);

    private static void Panel(Canvas c, Rect panel, string title, IReadOnlyList<EpochMetrics> rows,
        Func<EpochMetrics, double> train, Func<EpochMetrics, double> test, bool percent)
    {
        var (left, top, right, bottom) = PlotArea(panel.X, panel.W);
        c.Text(left, 12, title, Ink, 2);
        Legend(c, right, 14);

        var values = rows.SelectMany(r => new[] { train(r), test(r) }).Where(double.IsFinite).ToList();
        double lo = percent ? Math.Min(90, values.DefaultIfEmpty(90).Min()) : 0, hi = percent ? 100 : values.DefaultIfEmpty(1).Max();
        var yTicks = Ticks(lo, hi);
        lo = yTicks[0];
        hi = Math.Max(yTicks[^1], lo + 1e-9);
        int lastEpoch = Math.Max(1, rows.Count == 0 ? 1 : rows[^1].Epoch), firstEpoch = rows.Count == 0 ? 1 : rows[0].Epoch;
        var xTicks = Ticks(firstEpoch, lastEpoch).Where(t => t >= firstEpoch - 1e-9 && t <= lastEpoch + 1e-9 && t == Math.Floor(t)).ToList();
        double span = Math.Max(1, lastEpoch - firstEpoch);
        double X(double epoch) => left + (epoch - firstEpoch) / span * (right - left);
        double Y(double v) => bottom - (v - lo) / (hi - lo) * (bottom - top);

        foreach (var t in yTicks)
        {
            int y = (int)Math.Round(Y(t));
            c.Line(left, y, right, y, Grid);
            var label = t.ToString(TickFormat(yTicks), CultureInfo.InvariantCulture);
            c.Text(left - 8 - Canvas.TextWidth(label, 2), y - 7, label, Ink, 2);
        }
        foreach (var t in xTicks)
        {
            int x = (int)Math.Round(X(t));
            c.Line(x, bottom, x, bottom + 5, Ink);
            var label = ((int)t).ToString(CultureInfo.InvariantCulture);
            c.Text(x - Canvas.TextWidth(label, 2) / 2, bottom + 10, label, Ink, 2);
        }
        c.Text((left + right) / 2 - Canvas.TextWidth("EPOCH", 2) / 2, bottom + 30, "EPOCH", Ink, 2);
        c.Line(left, top, left, bottom, Ink, 2);
        c.Line(left, bottom, right, bottom, Ink, 2);

        Series(c, rows, train, TrainColor, X, Y);
        Series(c, rows, test, TestColor, X, Y);
    }

    private static void Series(Canvas c, IReadOnlyList<EpochMetrics> rows, Func<EpochMetrics, double> value,
        (byte, byte, byte) color, Func<double, double> x, Func<double, double> y)
    {
        for (int i = 0; i < rows.Count; i++)
        {
            double v = value(rows[i]);
            if (!double.IsFinite(v)) continue;
            double px = x(rows[i].Epoch), py = y(v);
            if (i > 0 && double.IsFinite(value(rows[i - 1]))) c.Line(x(rows[i - 1].Epoch), y(value(rows[i - 1])), px, py, color, 3);
            c.Fill((int)Math.Round(px) - 3, (int)Math.Round(py) - 3, 7, 7, color);
        }
    }

    private static void Legend(Canvas c, int right, int y)
    {
        int x = right - Canvas.TextWidth("TRAIN  TEST", 2) - 40;
        c.Fill(x, y + 2, 10, 10, TrainColor);
        c.Text(x + 14, y, "TRAIN", Ink, 2);
        x += 14 + Canvas.TextWidth("TRAIN ", 2) + 10;
        c.Fill(x, y + 2, 10, 10, TestColor);
        c.Text(x + 14, y, "TEST", Ink, 2);
    }

    /// <summary>"Nice" ticks covering [lo, hi]: a step of 1, 2 or 5 times a power of ten, about five of them.</summary>
    public static List<double> Ticks(double lo, double hi)
    {
        if (!(hi > lo)) hi = lo + 1;
        double raw = (hi - lo) / 5, power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(s => s >= raw);
        var ticks = new List<double>();
        for (double t = Math.Floor(lo / step) * step; t < hi + step * 0.999; t += step) ticks.Add(Math.Round(t / step) * step);
        return ticks;
    }

    private static string TickFormat(List<double> ticks)
    {
        double step = ticks.Count > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(step) - 1e-9), 0, 4);
        return "F" + decimals;
    }
}
