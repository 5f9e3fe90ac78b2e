using System.Diagnostics;
using System.Text.Json;

namespace ContextNets.Bench.Blocks;

/// <summary>Runs the PyTorch anchor, shared/reference/bench_blocks.py, and reads the JSON on its last line.</summary>
internal static class TorchBlocks
{
    public const string Python = "/usr/bin/python3";

    public sealed record Result(double FwdMs, double FwdBwdMs);

    /// <summary>The script's folder: --reference DIR, else ../shared/reference above the working directory, else /work/shared/reference.</summary>
    public static string FindReference(string? given)
    {
        if (given is not null) return Path.GetFullPath(given);
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "shared", "reference");
            if (File.Exists(Path.Combine(candidate, "bench_blocks.py"))) return candidate;
        }
        return "/work/shared/reference";
    }

    /// <param name="passive">Runs PyTorch with OMP_WAIT_POLICY=passive, the engine's own default, for a like-for-like comparison on a busy machine.</param>
    public static Dictionary<string, Result> Run(string referenceDir, int threads, bool passive)
    {
        string script = Path.Combine(referenceDir, "bench_blocks.py");
        if (!File.Exists(script)) throw new FileNotFoundException($"The PyTorch anchor {script} is missing (pass --reference DIR).");
        Console.Error.WriteLine($"PyTorch: {(passive ? "OMP_WAIT_POLICY=passive " : "")}{Python} {script} {threads} (in {referenceDir})");
        // The script imports blocks.py from its own folder.
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = referenceDir };
        if (passive) psi.Environment["OMP_WAIT_POLICY"] = "passive";
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {Python}.");
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} exited with code {p.ExitCode}.");
        string last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new InvalidDataException($"{script} printed nothing.");
        using var doc = JsonDocument.Parse(last);
        return doc.RootElement.EnumerateObject().ToDictionary(
            e => e.Name, e => new Result(e.Value.GetProperty("fwd_ms").GetDouble(), e.Value.GetProperty("fwd_bwd_ms").GetDouble()));
    }
}
