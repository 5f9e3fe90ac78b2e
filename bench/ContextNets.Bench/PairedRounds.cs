using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Bench.Models;

namespace ContextNets.Bench;

/// <summary>
/// Ours against a PyTorch peer in alternating rounds (one warm-up each, then rounds whose order flips, so that a
/// change of machine load falls on both): medians, minima, and the median of the per-round ratios ours / PyTorch.
/// </summary>
internal static class PairedRounds
{
    public static JsonObject Measure(string key, Action ours, TorchModels? torch, string command, int batch, int rounds, int reps)
    {
        ModelsBenchmark.Time(ours, 1);
        torch?.Time(command, batch, 1);
        List<double> mine = [], theirs = [], paired = [];
        for (int round = 0; round < rounds; round++)
        {
            bool torchFirst = round % 2 == 1;
            var t = torchFirst ? torch?.Time(command, batch, reps) : null;
            var m = ModelsBenchmark.Time(ours, reps);
            if (!torchFirst) t = torch?.Time(command, batch, reps);
            mine.AddRange(m);
            if (t is null) continue;
            theirs.AddRange(t);
            paired.Add(Timing.Median([.. m]) / Timing.Median([.. t]));
        }
        var inv = CultureInfo.InvariantCulture;
        var entry = new JsonObject { ["ours_ms_median"] = Math.Round(Timing.Median([.. mine]), 1), ["ours_ms_min"] = Math.Round(mine.Min(), 1), ["ours_n"] = mine.Count };
        string line = $"{key}: ours {Timing.Median([.. mine]).ToString("F0", inv)} ms";
        if (theirs.Count > 0)
        {
            entry["pytorch_ms_median"] = Math.Round(Timing.Median([.. theirs]), 1);
            entry["pytorch_ms_min"] = Math.Round(theirs.Min(), 1);
            entry["ratio_ours_over_pytorch_paired"] = Math.Round(Timing.Median([.. paired]), 3);
            line += $", PyTorch {Timing.Median([.. theirs]).ToString("F0", inv)} ms, ours/PyTorch {Timing.Median([.. paired]).ToString("F2", inv)}";
        }
        Console.WriteLine(line);
        return entry;
    }
}
