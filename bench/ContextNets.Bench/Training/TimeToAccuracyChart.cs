using System.Globalization;
using ContextNets.IO;
using ContextNets.Training;

namespace ContextNets.Bench.Training;

/// <summary>Test accuracy (percent) against wall-clock minutes, one curve per framework, with the target as a grey line.</summary>
internal static class TimeToAccuracyChart
{
    private const int Width = 960, Height = 440, Left = 80, Top = 50, Right = Width - 30, Bottom = Height - 60;
    private static readonly (byte, byte, byte) White = (255, 255, 255), Ink = (40, 40, 40), Grid = (225, 225, 225), TargetColor = (150, 150, 150);
    private static readonly (byte, byte, byte)[] Colors = [TrainingChart.TrainColor, TrainingChart.TestColor];

    public static void Write(string path, IReadOnlyList<(string Label, Curve Curve)> curves, double targetPercent)
    {
        var c = new Canvas(Width, Height, White);
        var points = curves.Select(x => x.Curve.Points().ToList()).ToList();
        var all = points.SelectMany(p => p).ToList();
        var yTicks = TrainingChart.Ticks(Math.Min(targetPercent - 3, all.Count == 0 ? 85 : all.Min(p => p.Accuracy)), Math.Max(targetPercent + 1, all.Count == 0 ? 95 : all.Max(p => p.Accuracy)));
        var xTicks = TrainingChart.Ticks(0, all.Count == 0 ? 1 : all.Max(p => p.Minutes));
        double lo = yTicks[0], hi = yTicks[^1], xHi = xTicks[^1];
        double X(double minutes) => Left + minutes / xHi * (Right - Left);
        double Y(double acc) => Bottom - (Math.Clamp(acc, lo, hi) - lo) / (hi - lo) * (Bottom - Top);

        c.Text(Left, 14, "TEST ACCURACY % OVER WALL-CLOCK MINUTES", Ink, 2);
        foreach (var t in yTicks)
        {
            int y = (int)Math.Round(Y(t));
            c.Line(Left, y, Right, y, Grid);
            var label = t.ToString("0.#", CultureInfo.InvariantCulture);
            c.Text(Left - 8 - Canvas.TextWidth(label, 2), y - 7, label, Ink, 2);
        }
        foreach (var t in xTicks)
        {
            int x = (int)Math.Round(X(t));
            c.Line(x, Bottom, x, Bottom + 5, Ink);
            var label = t.ToString("0.#", CultureInfo.InvariantCulture);
            c.Text(x - Canvas.TextWidth(label, 2) / 2, Bottom + 10, label, Ink, 2);
        }
        c.Text((Left + Right) / 2 - Canvas.TextWidth("MINUTES", 2) / 2, Bottom + 32, "MINUTES", Ink, 2);
        int target = (int)Math.Round(Y(targetPercent));
        for (int x = Left; x < Right; x += 12) c.Line(x, target, Math.Min(x + 6, Right), target, TargetColor, 2);
        c.Line(Left, Top, Left, Bottom, Ink, 2);
        c.Line(Left, Bottom, Right, Bottom, Ink, 2);

        int legendX = Right - 10;
        for (int i = curves.Count - 1; i >= 0; i--)
        {
            legendX -= Canvas.TextWidth(curves[i].Label, 2) + 34;
            c.Fill(legendX, 16, 10, 10, Colors[i % Colors.Length]);
            c.Text(legendX + 14, 14, curves[i].Label, Ink, 2);
        }
        for (int i = 0; i < points.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            for (int k = 0; k < points[i].Count; k++)
            {
                var (m, a) = points[i][k];
                if (k > 0) c.Line(X(points[i][k - 1].Minutes), Y(points[i][k - 1].Accuracy), X(m), Y(a), color, 3);
                c.Fill((int)Math.Round(X(m)) - 3, (int)Math.Round(Y(a)) - 3, 7, 7, color);
            }
        }
        Png.Write(path, c.Pixels, c.Width, c.Height, 3);
    }
}
