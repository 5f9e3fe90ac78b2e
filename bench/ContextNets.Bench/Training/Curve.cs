using System.Text.Json.Nodes;

namespace ContextNets.Bench.Training;

/// <summary>One side of the time-to-accuracy benchmark: its test accuracy and clock per epoch.</summary>
internal sealed record Curve(string Framework, IReadOnlyList<(int Epoch, double TestAccuracy, double Seconds)> Rows, string Source)
{
    /// <summary>Wall and CPU seconds of the whole process (start-up included), when this benchmark ran it.</summary>
    public double? ProcessSeconds { get; init; }
    public double? CpuSeconds { get; init; }

    public int? EpochAt(double targetPercent)
    {
        foreach (var r in Rows)
            if (r.TestAccuracy * 100 >= targetPercent) return r.Epoch;
        return null;
    }

    /// <summary>The epochs' clocks summed up to the first epoch at or above the target.</summary>
    public double? SecondsTo(double targetPercent) =>
        EpochAt(targetPercent) is { } e ? Rows.Where(r => r.Epoch <= e).Sum(r => r.Seconds) : null;

    public double MeanEpochSeconds() => Rows.Average(r => r.Seconds);

    /// <summary>Cumulative minutes at the end of each epoch, for the chart.</summary>
    public IEnumerable<(double Minutes, double Accuracy)> Points()
    {
        double t = 0;
        foreach (var r in Rows)
        {
            t += r.Seconds;
            yield return (t / 60, r.TestAccuracy * 100);
        }
    }

    public JsonObject ToJson(double targetPercent) => new()
    {
        ["framework"] = Framework,
        ["source"] = Source,
        ["epochs_to_target"] = EpochAt(targetPercent),
        ["seconds_to_target"] = SecondsTo(targetPercent),
        ["mean_epoch_seconds"] = MeanEpochSeconds(),
        ["process_seconds"] = ProcessSeconds,
        ["process_cpu_seconds"] = CpuSeconds,
        ["epochs"] = new JsonArray([.. Rows.Select(r => (JsonNode)new JsonObject
        {
            ["epoch"] = r.Epoch,
            ["test_acc"] = r.TestAccuracy,
            ["seconds"] = r.Seconds,
        })]),
    };
}
