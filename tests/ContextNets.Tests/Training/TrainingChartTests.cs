using ContextNets.IO;
using ContextNets.Training;
using ContextNets.Tests.Data;
using ScottPlot;

namespace ContextNets.Tests.Training;

/// <summary>chart.png, drawn by ScottPlot: both series in both panels, where the data puts them, and any length of history.</summary>
public sealed class TrainingChartTests
{
    private static List<EpochMetrics> Rows(int epochs) =>
        [.. Enumerable.Range(1, epochs).Select(e => new EpochMetrics(e, 1.0 / e, 0.8 + 0.02 * e, 1.2 / e, 0.78 + 0.02 * e, 0.1, 10, 500))];

    [Fact]
    public void ChartDrawsBothSeriesInBothPanels()
    {
        var canvas = TrainingChart.Draw(Rows(6));
        Assert.Equal((TrainingChart.Width, TrainingChart.Height), (canvas.Width, canvas.Height));
        int half = TrainingChart.Width / 2;
        foreach (var color in new[] { TrainingChart.TrainColor, TrainingChart.TestColor })
            foreach (var (x0, x1) in new[] { (0, half), (half, TrainingChart.Width) })
                Assert.True(CountColor(canvas, color, x0, x1) > 100, $"color {color} missing in the panel at x {x0}");
    }

    [Fact]
    public void EachPointIsDrawnWhereItsPanelsAxesPutIt()
    {
        var rows = Rows(6);
        var panels = TrainingChart.Panels(rows);
        using var lossPanel = panels[0];
        using var accuracyPanel = panels[1];
        var canvas = Charts.SideBySide(panels, TrainingChart.Width / 2, TrainingChart.Height);
        foreach (var r in rows)
        {
            // A marker's centre has its series' colour: the train loss in the loss panel, the test accuracy in the other.
            var loss = lossPanel.GetPixel(new Coordinates(r.Epoch, r.TrainLoss));
            Assert.Equal(TrainingChart.TrainColor, canvas.Get((int)Math.Round(loss.X), (int)Math.Round(loss.Y)));
            // The accuracy panel is the right half: its pixels are offset by half the width.
            var accuracy = accuracyPanel.GetPixel(new Coordinates(r.Epoch, 100 * r.TestAccuracy));
            Assert.Equal(TrainingChart.TestColor, canvas.Get(TrainingChart.Width / 2 + (int)Math.Round(accuracy.X), (int)Math.Round(accuracy.Y)));
        }
    }

    [Fact]
    public void ChartOfOneEpochOrNoneOrNaNStillDraws()
    {
        Assert.Equal(TrainingChart.Width, TrainingChart.Draw([]).Width);
        var one = TrainingChart.Draw([new EpochMetrics(1, 0.5, 0.9, 0.4, 0.91, 0.1, 1, 1)]);
        Assert.True(CountColor(one, TrainingChart.TestColor, 0, TrainingChart.Width) > 0);
        var diverged = TrainingChart.Draw([new EpochMetrics(1, 0.5, 0.9, 0.4, 0.91, 0.1, 1, 1), new EpochMetrics(2, double.NaN, 0.1, double.PositiveInfinity, 0.1, 0.1, 1, 1)]);
        Assert.True(CountColor(diverged, TrainingChart.TrainColor, 0, TrainingChart.Width / 2) > 0);
    }

    [Fact]
    public void WrittenChartIsAPngOfTheChartsSize()
    {
        using var tmp = new TempDir();
        string path = tmp.File(TrainingChart.FileName);
        TrainingChart.Write(path, Rows(3));
        var image = ContextNets.Data.ImageDecoder.Load(path);
        Assert.Equal((TrainingChart.Width, TrainingChart.Height), (image.Width, image.Height));
    }

    private static int CountColor(Canvas c, (byte, byte, byte) color, int x0, int x1)
    {
        int n = 0;
        for (int y = 0; y < c.Height; y++)
            for (int x = x0; x < x1; x++)
                if (c.Get(x, y) == color) n++;
        return n;
    }
}
