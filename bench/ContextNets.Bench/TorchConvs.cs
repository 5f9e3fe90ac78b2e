using System.Diagnostics;
using System.Text.Json;

namespace ContextNets.Bench;

/// <summary>Runs bench/python/bench_convs.py once for all shapes in one layout and reads its JSON line.</summary>
internal static class TorchConvs
{
    public const string Python = "/usr/bin/python3";

    public sealed record Result(double FwdMs, double FwdBwdMs);

    public static Dictionary<string, Result> Run(string script, string shapesJson, int threads, string layout, int reps)
    {
        Console.Error.WriteLine($"PyTorch ({layout}): {Python} {script} {shapesJson} {threads} {layout} {reps}");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { script, shapesJson, threads.ToString(), layout, reps.ToString() }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {Python}.");
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} ({layout}) exited with code {p.ExitCode}.");
        // oneDNN's verbose output (DNNL_VERBOSE) shares stdout with the script's one JSON line, which comes last.
        string json = stdout.Split('\n').Last(l => l.StartsWith('{'));
        var results = new Dictionary<string, Result>();
        foreach (var e in JsonDocument.Parse(json).RootElement.EnumerateObject())
            results[e.Name] = new Result(e.Value.GetProperty("fwd_ms").GetDouble(), e.Value.GetProperty("fwd_bwd_ms").GetDouble());
        return results;
    }

    public static string Version()
    {
        var psi = new ProcessStartInfo(Python, ["-c", "import torch; print(torch.__version__)"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string v = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return p.ExitCode == 0 ? v : "unavailable";
    }
}
