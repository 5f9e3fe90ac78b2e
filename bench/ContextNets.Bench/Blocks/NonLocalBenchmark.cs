using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextNets.Attention;
using ContextNets.Autograd;

namespace ContextNets.Bench.Blocks;

/// <summary>
/// The non-local block against PyTorch at the anchor shapes of
/// reference/bench_blocks.py (nl_eg_c4: 1024x14x14, nl_eg_sub_c3: 512x28x28
/// sub-sampled, batch 8, embedded gaussian, train mode): forward under NoGrad
/// and forward+backward of y.sum(), median of 7 after 2 warm-ups, then the
/// PyTorch script in the same run. Our input is in the engine's activation
/// layout (channels-last), what the block sees inside a network; NCHW input,
/// what the PyTorch script feeds, is measured too.
/// The machine is shared: --rounds R repeats the pair (ours, then PyTorch)
/// R times and keeps each side's best median, so that a burst of other load
/// during one side's turn does not decide the ratio.
/// Options: --rounds R, --no-python, --python PATH (the interpreter), --script PATH.
/// </summary>
public static class NonLocalBenchmark
{
    private sealed record Case(string Name, int Channels, int Size, bool SubSample);

    private static readonly Case[] Cases =
    [
        new("nl_eg_c4", 1024, 14, false),
        new("nl_eg_sub_c3", 512, 28, true),
    ];

    public static int Run(string[] args)
    {
        string python = Option(args, "--python") ?? "/usr/bin/python3";
        string script = Option(args, "--script") ?? "/work/shared/reference/bench_blocks.py";
        int rounds = int.Parse(Option(args, "--rounds") ?? "1", CultureInfo.InvariantCulture);
        Console.WriteLine($"oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads");

        var ours = new Dictionary<string, (double fwd, double fwdBwd)>();
        var torch = new Dictionary<string, (double fwd, double fwdBwd)>();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var c in Cases)
            foreach (var format in new[] { Engine.ActivationFormat, MemoryFormat.Contiguous }.Distinct())
            {
                var (fwd, fb) = Measure(c, format);
                string key = format == Engine.ActivationFormat ? c.Name : c.Name + "_nchw";
                Console.WriteLine($"round {round} {key,-20} fwd {fwd,8:F2} ms   fwd+bwd {fb,8:F2} ms");
                ours[key] = Best(ours.GetValueOrDefault(key, (double.MaxValue, double.MaxValue)), (fwd, fb));
            }
            if (args.Contains("--no-python") || PyTorch(python, script) is not { } t) continue;
            foreach (var c in Cases)
            {
                if (t[c.Name] is not JsonObject e) continue;
                var (tf, tfb) = (e["fwd_ms"]!.GetValue<double>(), e["fwd_bwd_ms"]!.GetValue<double>());
                Console.WriteLine($"round {round} {c.Name,-20} PyTorch fwd {tf,8:F2} ms   fwd+bwd {tfb,8:F2} ms");
                torch[c.Name] = Best(torch.GetValueOrDefault(c.Name, (double.MaxValue, double.MaxValue)), (tf, tfb));
            }
        }

        var result = new JsonObject();
        foreach (var (key, (fwd, fb)) in ours)
        {
            var entry = new JsonObject { ["fwd_ms"] = Math.Round(fwd, 2), ["fwd_bwd_ms"] = Math.Round(fb, 2) };
            if (torch.TryGetValue(key.Replace("_nchw", "", StringComparison.Ordinal), out var t))
            {
                entry["torch_fwd_ms"] = t.fwd;
                entry["torch_fwd_bwd_ms"] = t.fwdBwd;
                entry["speedup_fwd"] = Math.Round(t.fwd / fwd, 2);
                entry["speedup_fwd_bwd"] = Math.Round(t.fwdBwd / fb, 2);
                Console.WriteLine($"{key,-20} PyTorch/ours: fwd {t.fwd,7:F2}/{fwd,7:F2} = {t.fwd / fwd:F2}x   fwd+bwd {t.fwdBwd,7:F2}/{fb,7:F2} = {t.fwdBwd / fb:F2}x");
            }
            result[key] = entry;
        }
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    private static (double, double) Best((double fwd, double fwdBwd) a, (double fwd, double fwdBwd) b) =>
        (Math.Min(a.fwd, b.fwd), Math.Min(a.fwdBwd, b.fwdBwd));

    private static (double fwd, double fwdBwd) Measure(Case c, MemoryFormat format)
    {
        using var block = new NonLocal(c.Channels, Pairwise.EmbeddedGaussian, subSample: c.SubSample);
        block.Train();
        using var x = F.Materialize(Tensor.Randn([8, c.Channels, c.Size, c.Size], 1), format);
        double fwd = Median(() =>
        {
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            block.Forward(x);
        });
        x.RequiresGrad = true;
        double fwdBwd = Median(() =>
        {
            using var scope = Tensor.Scope();
            F.Sum(block.Forward(x)).Backward();
        });
        x.ZeroGrad();
        block.ZeroGrad();
        return (fwd, fwdBwd);
    }

    private static double Median(Action run, int n = 7, int warmups = 2)
    {
        for (int i = 0; i < warmups; i++) run();
        var times = new double[n];
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[n / 2];
    }

    /// <summary>Runs the PyTorch anchor script with our thread count; its last line is the JSON of every block.</summary>
    private static JsonObject? PyTorch(string python, string script)
    {
        var psi = new ProcessStartInfo(python, [script, Engine.Threads.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        try
        {
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (p.ExitCode != 0 || last is null) throw new InvalidOperationException($"exit code {p.ExitCode}");
            return JsonNode.Parse(last) as JsonObject;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or JsonException)
        {
            Console.WriteLine($"PyTorch anchor not run ({python} {script}): {e.Message}");
            return null;
        }
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
