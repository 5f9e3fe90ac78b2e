using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.NN;

namespace ContextNets.Bench.Blocks;

/// <summary>
/// The GC, SNL and SE blocks against PyTorch (shared/reference/bench_blocks.py)
/// in the same run, at its shapes, batch 8, train mode: forward under NoGrad,
/// and forward + backward of y.sum() with x requiring a gradient (x's gradient
/// accumulates over the reps, as in the script). Median of 7 after 2 warm-ups.
/// Arguments: [--threads N] [--reference DIR] [--composed] (also time the
/// composed-ops path the fused kernels replace) [--torch-passive] (PyTorch's
/// OpenMP workers sleep when idle, as the engine's do).
/// </summary>
public static class BlockBenchmark
{
    private const int Warmup = 2, Reps = 7;

    private sealed record Case(string Name, Func<Module> Create, int[] Shape, double Target);

    private static readonly Case[] Cases =
    [
        new("gc_c3", () => new GlobalContext(512), [8, 512, 28, 28], 2.0),
        new("gc_c4", () => new GlobalContext(1024), [8, 1024, 14, 14], 2.0),
        new("gc_c5", () => new GlobalContext(2048), [8, 2048, 7, 7], 2.0),
        new("se_c4", () => new SqueezeExcite(1024), [8, 1024, 14, 14], 1.5),
        new("snl_c4", () => new SimplifiedNonLocal(1024), [8, 1024, 14, 14], 2.0),
    ];

    public static int Run(string[] args)
    {
        int threads = 2;
        string? reference = null;
        bool composed = false, torchPassive = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads" when i + 1 < args.Length: threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--reference" when i + 1 < args.Length: reference = args[++i]; break;
                case "--composed": composed = true; break;
                case "--torch-passive": torchPassive = true; break;
                default:
                    Console.Error.WriteLine($"block benchmark: unknown argument '{args[i]}'. Usage: [--threads N] [--reference DIR] [--composed] [--torch-passive]");
                    return 2;
            }
        }
        Environment.SetEnvironmentVariable("CTXNET_THREADS", threads.ToString(CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        Console.WriteLine($"Blocks: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, activations {Engine.ActivationFormat}, load {LoadAverage()}");

        Dictionary<string, TorchBlocks.Result> torch;
        try { torch = TorchBlocks.Run(TorchBlocks.FindReference(reference), threads, torchPassive); }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"block benchmark: the PyTorch anchor failed: {e.Message}");
            return 2;
        }

        var json = new JsonObject
        {
            ["meta"] = new JsonObject
            {
                ["threads"] = Engine.Threads,
                ["torch_omp_wait_policy"] = torchPassive ? "passive" : Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "default",
                ["load_average"] = LoadAverage(),
            },
        };
        Console.WriteLine();
        Console.WriteLine($"{"block",-8} {"shape",-16} {"torch fwd",9} {"ours fwd",9} {"x",6}   {"torch f+b",9} {"ours f+b",9} {"x",6} {"target",7}" + (composed ? $" {"composed f+b",12}" : ""));
        foreach (var c in Cases)
        {
            if (!torch.TryGetValue(c.Name, out var t))
            {
                Console.Error.WriteLine($"block benchmark: PyTorch reported no '{c.Name}'.");
                return 2;
            }
            var (fwd, fb) = Time(c, fused: true);
            double? composedFb = composed ? Time(c, fused: false).fwdBwd : null;
            double fwdRatio = t.FwdMs / fwd, fbRatio = t.FwdBwdMs / fb;
            string shape = string.Join("x", c.Shape.Skip(1));
            Console.WriteLine($"{c.Name,-8} {shape,-16} {t.FwdMs,9:F2} {fwd,9:F2} {fwdRatio,6:F2}   {t.FwdBwdMs,9:F2} {fb,9:F2} {fbRatio,6:F2} {(fbRatio >= c.Target ? "ok" : "MISS"),4} {c.Target,2:F1}"
                + (composedFb is { } cf ? $" {cf,12:F2}" : ""));
            var entry = new JsonObject
            {
                ["shape"] = new JsonArray(c.Shape.Select(d => (JsonNode)d).ToArray()),
                ["torch_fwd_ms"] = Math.Round(t.FwdMs, 3), ["fwd_ms"] = Math.Round(fwd, 3), ["fwd_speedup"] = Math.Round(fwdRatio, 2),
                ["torch_fwd_bwd_ms"] = Math.Round(t.FwdBwdMs, 3), ["fwd_bwd_ms"] = Math.Round(fb, 3), ["fwd_bwd_speedup"] = Math.Round(fbRatio, 2),
                ["target_fwd_bwd_speedup"] = c.Target, ["meets_target"] = fbRatio >= c.Target,
            };
            if (composedFb is { } v) entry["composed_fwd_bwd_ms"] = Math.Round(v, 3);
            json[c.Name] = entry;
        }
        Console.WriteLine(json.ToJsonString());
        return 0;
    }

    private static (double fwd, double fwdBwd) Time(Case c, bool fused)
    {
        Initializers.Seed(1);
        using var block = c.Create();
        SetFused(block, fused);
        block.Train();
        using var x = F.Materialize(Tensor.Randn(c.Shape, 1), Engine.ActivationFormat);
        x.RequiresGrad = true;
        double fwd = Median(() =>
        {
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            block.Forward(x);
        });
        double fwdBwd = Median(() =>
        {
            using var scope = Tensor.Scope();
            F.Sum(block.Forward(x)).Backward();
        });
        x.ZeroGrad();
        block.ZeroGrad();
        return (fwd, fwdBwd);
    }

    /// <summary>The 1-minute load average: the machines are shared, and a busy one skews both sides.</summary>
    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
    }

    private static void SetFused(Module block, bool fused)
    {
        switch (block)
        {
            case GlobalContext gc: gc.UseFusedKernels = fused; break;
            case SimplifiedNonLocal snl: snl.UseFusedKernels = fused; break;
            case SqueezeExcite se: se.UseFusedKernels = fused; break;
        }
    }

    /// <summary>Median wall time of one call in ms, after the warm-ups, as the script measures it.</summary>
    private static double Median(Action run)
    {
        for (int i = 0; i < Warmup; i++) run();
        var times = new double[Reps];
        for (int i = 0; i < Reps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[Reps / 2];
    }
}
