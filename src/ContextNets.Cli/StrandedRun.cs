using System.Text.RegularExpressions;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// A run folder whose first epoch never committed its `last` checkpoint (killed during the first save, say): its
/// config.json, perhaps metrics.csv, chart.png, a `best` checkpoint and a save's temporaries, but no last.json.
/// Nothing in it can be continued, and nothing in it is the user's: --resume starts it again with its own settings,
/// and --out may train into it afresh.
/// </summary>
internal static partial class StrandedRun
{
    [GeneratedRegex(@"^(config\.json|metrics\.csv|chart\.png|best\.json|(best|last)-\d{6,}(\.train)?\.safetensors|\..+\.\d+\.[0-9a-f]{32}\.tmp)$")]
    private static partial Regex TrainerFile();

    public static bool Is(string dir) =>
        Directory.Exists(dir) && File.Exists(Path.Combine(dir, Trainer.ConfigFile)) && !Checkpoint.Exists(dir, Trainer.Last)
        && !Directory.EnumerateDirectories(dir).Any() && Directory.EnumerateFiles(dir).All(f => TrainerFile().IsMatch(Path.GetFileName(f)));

    /// <summary>Deletes what the first epoch left, keeping config.json when <paramref name="keepConfig"/>.</summary>
    public static void Clear(string dir, bool keepConfig)
    {
        foreach (var f in Directory.EnumerateFiles(dir))
            if (!(keepConfig && Path.GetFileName(f) == Trainer.ConfigFile)) File.Delete(f);
    }
}
