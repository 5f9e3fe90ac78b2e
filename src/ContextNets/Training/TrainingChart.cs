using ContextNets.IO;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace ContextNets.Training;

/// <summary>
/// chart.png: two panels side by side, the loss and the accuracy (percent) per epoch, training in blue and test in
/// orange, drawn by ScottPlot (<see cref="Charts"/>).
/// </summary>
public static class TrainingChart
{
    public const string FileName = "chart.png";
    public const int Width = 960, Height = 400;

    public static readonly (byte r, byte g, byte b) TrainColor = (31, 119, 180), TestColor = (255, 127, 14);

    public static void Write(string path, IReadOnlyList<EpochMetrics> rows)
    {
        var canvas = Draw(rows);
        Png.Write(path, canvas.Pixels, canvas.Width, canvas.Height, 3);
    }

    public static Canvas Draw(IReadOnlyList<EpochMetrics> rows)
    {
        var panels = Panels(rows);
        try
        {
            return Charts.SideBySide(panels, Width / 2, Height);
        }
        finally
        {
            foreach (var p in panels) p.Dispose();
        }
    }

    /// <summary>The two panels, loss then accuracy, before they are drawn; the caller disposes them.</summary>
    internal static Plot[] Panels(IReadOnlyList<EpochMetrics> rows) =>
    [
        Panel("Loss", "loss", rows, r => r.TrainLoss, r => r.TestLoss, percent: false),
        Panel("Accuracy", "accuracy (%)", rows, r => 100 * r.TrainAccuracy, r => 100 * r.TestAccuracy, percent: true),
    ];

    private static Plot Panel(string title, string yLabel, IReadOnlyList<EpochMetrics> rows,
        Func<EpochMetrics, double> train, Func<EpochMetrics, double> test, bool percent)
    {
        var plot = Charts.New(title, "epoch", yLabel);
        Charts.Line(plot, rows.Select(r => ((double)r.Epoch, train(r))), TrainColor, "train");
        Charts.Line(plot, rows.Select(r => ((double)r.Epoch, test(r))), TestColor, "test");
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        // Loss falls and accuracy rises: the legend goes where the curves are not.
        plot.ShowLegend(percent ? Alignment.LowerRight : Alignment.UpperRight);

        var values = rows.SelectMany(r => new[] { train(r), test(r) }).Where(double.IsFinite).ToList();
        int first = rows.Count == 0 ? 1 : rows[0].Epoch, last = rows.Count == 0 ? 1 : rows[^1].Epoch;
        double pad = Math.Max(1, last - first) * 0.04;
        plot.Axes.SetLimitsX(first - pad, last + pad);
        // Accuracy from 90% up unless it is lower, so that the last points apart are visible; loss from 0.
        double lo = percent ? Math.Min(90, values.DefaultIfEmpty(90).Min()) : 0;
        double hi = percent ? 100 : Math.Max(values.DefaultIfEmpty(1).Max(), 1e-6);
        double ypad = (hi - lo) * 0.04;
        plot.Axes.SetLimitsY(lo - (percent ? ypad : 0), hi + ypad);
        return plot;
    }
}
