using ContextNets.IO;
using ContextNets.Training;
using ScottPlot;

namespace ContextNets.Bench.Training;

/// <summary>Test accuracy (percent) against wall-clock minutes, one curve per framework, with the target as a grey dashed line.</summary>
internal static class TimeToAccuracyChart
{
    private const int Width = 960, Height = 440;
    private static readonly (byte, byte, byte)[] Colors = [TrainingChart.TrainColor, TrainingChart.TestColor];

    public static void Write(string path, IReadOnlyList<(string Label, Curve Curve)> curves, double targetPercent)
    {
        using var plot = Charts.New("Test accuracy over wall-clock time", "minutes", "test accuracy (%)");
        for (int i = 0; i < curves.Count; i++)
            Charts.Line(plot, curves[i].Curve.Points().Select(p => (p.Minutes, p.Accuracy)), Colors[i % Colors.Length], curves[i].Label);
        var target = plot.Add.HorizontalLine(targetPercent, 2, new Color(150, 150, 150), LinePattern.Dashed);
        target.LegendText = $"target {targetPercent}%";
        plot.ShowLegend(Alignment.LowerRight);
        var canvas = Charts.SideBySide([plot], Width, Height);
        Png.Write(path, canvas.Pixels, canvas.Width, canvas.Height, 3);
    }
}
