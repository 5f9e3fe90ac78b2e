using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Bench.Models;

namespace ContextNets.Bench;

/// <summary>
/// The options of the benchmarks that pair ours with a PyTorch peer in alternating rounds (video, detection):
/// --threads N, --rounds N, --reps N, --no-torch, --out FILE, and any of the benchmark's own, which
/// <c>extra</c> takes (the option, and a way to read its value) and answers whether it knew it.
/// </summary>
internal sealed record PairedOptions(int Threads, int Rounds, int Reps, bool NoTorch, string? Out)
{
    /// <summary>The options, or null after printing which one was not known.</summary>
    public static PairedOptions? Parse(string[] args, int reps, string extraUsage = "", Func<string, Func<string>, bool>? extra = null)
    {
        var o = new PairedOptions(2, 3, reps, false, null);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--threads": o = o with { Threads = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--rounds": o = o with { Rounds = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--reps": o = o with { Reps = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--no-torch": o = o with { NoTorch = true }; break;
                case "--out": o = o with { Out = Next() }; break;
                default:
                    if (extra?.Invoke(args[i], Next) == true) break;
                    Console.Error.WriteLine($"Unknown option '{args[i]}'. Options: --threads N, --rounds N, --reps N, {extraUsage}--no-torch, --out FILE.");
                    return null;
            }
        }
        return o;
    }

    /// <summary>
    /// The result file's common part, the same for every paired benchmark: the machine, the threads and wait policy both
    /// sides ran with, the rounds and reps, our process's peak RSS, and the <paramref name="cases"/>.
    /// </summary>
    public JsonObject Report(bool withTorch, string loadAtStart, JsonObject cases) => new()
    {
        ["machine"] = MachineInfo.Describe(withTorch, loadAtStart),
        ["load_average_after"] = MachineInfo.LoadAverage(),
        ["threads"] = Engine.Threads,
        ["omp_wait_policy"] = TorchModels.WaitPolicy,
        ["rounds"] = Rounds,
        ["reps"] = Reps,
        ["peak_rss_mb"] = Math.Round(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0),
        ["cases"] = cases,
    };
}
