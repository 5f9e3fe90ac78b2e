using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ContextNets.Bench.Models;

/// <summary>bench/python/bench_models.py kept open, answering one timing request per line.</summary>
internal sealed class TorchModels : IDisposable
{
    private readonly Process _p;

    private TorchModels(Process p) => _p = p;

    /// <summary>
    /// PyTorch gets the OpenMP wait policy our engine runs with (passive unless OMP_WAIT_POLICY is set): with
    /// libgomp's default spinning, PyTorch on a machine shared with other work ran up to 20x slower than its
    /// quiet-machine anchor, which measures the neighbours rather than the library.
    /// </summary>
    public static TorchModels Start(string python, string script, int threads)
    {
        var psi = new ProcessStartInfo(python, [script, threads.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        psi.Environment["OMP_WAIT_POLICY"] = WaitPolicy;
        return new TorchModels(Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {python}."));
    }

    public static string WaitPolicy => Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "passive";

    public long Load(string model) => JsonDocument.Parse(Ask($"load {model}")).RootElement.GetProperty("params").GetInt64();

    /// <summary>Times in ms of <paramref name="what"/> (infer, infer_cl, train) at a batch size.</summary>
    public List<double> Time(string what, int batch, int reps) =>
        JsonSerializer.Deserialize<List<double>>(Ask($"{what} {batch} {reps}"))!;

    private string Ask(string command)
    {
        _p.StandardInput.WriteLine(command);
        _p.StandardInput.Flush();
        // oneDNN's verbose output (DNNL_VERBOSE) may share stdout: the answer is the next JSON line.
        while (true)
        {
            string line = _p.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"bench_models.py stopped (exit {(_p.HasExited ? _p.ExitCode : -1)}) after '{command}'.");
            if (line.StartsWith('{') || line.StartsWith('[')) return line;
        }
    }

    public void Dispose()
    {
        _p.StandardInput.Close();
        _p.WaitForExit();
        _p.Dispose();
    }
}
