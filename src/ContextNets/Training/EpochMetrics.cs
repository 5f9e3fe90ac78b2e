using System.Globalization;
using ContextNets.IO;

namespace ContextNets.Training;

/// <summary>One epoch's row of metrics.csv. Accuracies are fractions in [0, 1]; lr is the rate of the epoch's last update.</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double TestLoss,
    double TestAccuracy,
    double Lr,
    double Seconds,
    double ImagesPerSecond);

/// <summary>metrics.csv: a header and one row per finished epoch, rewritten whole (atomically) after each epoch.</summary>
public static class MetricsCsv
{
    public const string FileName = "metrics.csv";
    public const string Header = "epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds,images_per_s";

    public static string Format(EpochMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"{m.Epoch},{m.TrainLoss:F6},{m.TrainAccuracy:F6},{m.TestLoss:F6},{m.TestAccuracy:F6},{m.Lr:G6},{m.Seconds:F2},{m.ImagesPerSecond:F1}");

    public static void Write(string path, IEnumerable<EpochMetrics> rows)
    {
        var text = string.Join('\n', rows.Select(Format).Prepend(Header)) + "\n";
        AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The rows of a metrics.csv; a file that is not one is an InvalidDataException naming it.</summary>
    public static List<EpochMetrics> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"{path} is not a metrics file: its first line is not '{Header}'.");
        var rows = new List<EpochMetrics>();
        for (int i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            double D(int k) => double.Parse(f[k], NumberStyles.Float, CultureInfo.InvariantCulture);
            try
            {
                if (f.Length != 8) throw new FormatException($"{f.Length} fields instead of 8");
                rows.Add(new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5), D(6), D(7)));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}, line {i + 1}: '{lines[i]}' is not a metrics row ({e.Message}).", e);
            }
        }
        return rows;
    }
}
