using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextNets.Attention;
using ContextNets.Autograd;

namespace ContextNets.Bench.Blocks;

/// <summary>
/// Split attention (radix 2, 128 channels, 8x128x28x28: bench_blocks.py's splat_c3) in training mode,
/// forward (no graph) and forward+backward, against PyTorch in the same run, two ways:
/// <list type="bullet">
/// <item>interleaved rounds: a few runs of ours and a few of PyTorch's same block (shared/reference/blocks.py SplitAttn,
/// called as bench_blocks.py calls it, in a Python process kept open), alternating, so that both see the same load;</item>
/// <item>shared/reference/bench_blocks.py itself, run once, for its splat_c3 line.</item>
/// </list>
/// Ours is timed on a channels-last input (what the previous layer hands it in our engine) and on an NCHW one.
/// Prints medians, minimums and their ratios (PyTorch / ours: above 1 is ours faster), bench_blocks.py's own
/// medians (taken at another moment, so not divided into ours), and the JSON.
/// Options: --threads N (2), --rounds N (20), --reps N (3), --python PATH (/usr/bin/python3),
/// --reference-dir DIR (shared/reference, found above the working directory), --no-torch, --no-script.
/// </summary>
public static class SplitAttnBenchmark
{
    private const int Batch = 8, Channels = 128, Size = 28, Radix = 2;

    // PyTorch's side of the interleaved rounds: the reference block, called as bench_blocks.py calls it, timed on request.
    private const string TorchServer = """
        import json, sys, time, torch
        sys.path.insert(0, sys.argv[1])
        from blocks import SplitAttn
        torch.set_num_threads(int(sys.argv[2]))
        m = SplitAttn(128, radix=2).train()
        x = torch.randn(8, 128, 28, 28, requires_grad=True)
        def fwd():
            with torch.no_grad():
                m(x)
        def fwd_bwd():
            y = m(x)
            y.sum().backward()
        for f in (fwd, fwd, fwd_bwd, fwd_bwd):
            f()
        for line in sys.stdin:
            what, reps = line.split()
            f = fwd if what == "fwd" else fwd_bwd
            times = []
            for _ in range(int(reps)):
                t = time.perf_counter(); f(); times.append((time.perf_counter() - t) * 1000)
            print(json.dumps(times), flush=True)
        """;

    public static int Run(string[] args)
    {
        Options o;
        try { o = Options.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        Environment.SetEnvironmentVariable("CTXNET_THREADS", o.Threads.ToString(CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        Console.WriteLine($"split attention r{Radix}, {Batch}x{Channels}x{Size}x{Size}, train: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads");
        string? referenceDir = o.ReferenceDir ?? FindUp(Path.Combine("shared", "reference"));
        if (referenceDir is null && !o.NoTorch) Console.Error.WriteLine("PyTorch skipped: no shared/reference above the working directory (give --reference-dir).");

        using var block = new SplitAttention(Channels, radix: Radix);
        block.Train();
        using var inputs = new Inputs();
        var ours = new SortedDictionary<string, List<double>>();
        var torch = new SortedDictionary<string, List<double>>();
        var paired = new SortedDictionary<string, List<double>>();
        foreach (var format in new[] { MemoryFormat.ChannelsLast, MemoryFormat.Contiguous })
        {
            Forward(block, inputs.Get(format));
            ForwardBackward(block, inputs.Get(format));
        }
        using (var server = referenceDir is null || o.NoTorch ? null : TorchProcess.Start(o.Python, referenceDir, o.Threads))
        {
            // Fine-grained alternation, so that both sides see the same load; PyTorch goes first every other round.
            for (int round = 0; round < o.Rounds; round++)
            {
                foreach (var (what, torchKey) in new[] { ("fwd", "fwd_ms"), ("fwd_bwd", "fwd_bwd_ms") })
                {
                    List<double>? theirs = null;
                    if (server is not null && round % 2 == 1) theirs = server.Time(what, o.Reps);
                    var mine = new Dictionary<string, List<double>>();
                    foreach (var format in new[] { MemoryFormat.ChannelsLast, MemoryFormat.Contiguous })
                    {
                        string key = $"{torchKey}_{(format == MemoryFormat.ChannelsLast ? "nhwc" : "nchw")}";
                        var x = inputs.Get(format);
                        mine[key] = Time(o.Reps, what == "fwd" ? () => Forward(block, x) : () => ForwardBackward(block, x));
                        Add(ours, key, mine[key]);
                    }
                    if (server is not null && round % 2 == 0) theirs = server.Time(what, o.Reps);
                    if (theirs is null) continue;
                    Add(torch, torchKey, theirs);
                    foreach (var (key, samples) in mine) Add(paired, key, [Median(theirs) / Median(samples)]);
                }
                Console.Error.Write('.');
            }
        }
        Console.Error.WriteLine();
        JsonNode? script = referenceDir is null || o.NoTorch || o.NoScript ? null : RunScript(o, referenceDir);

        // On a shared machine every time follows the load. The paired ratio (PyTorch / ours within one round, then the
        // median over rounds) cancels slow changes of load; the medians and minimums are shown beside it.
        Console.WriteLine($"{"",-20}{"ours med",9}{"min",8}{"PyTorch med",12}{"min",8}{"ratio paired",13}{"med",6}{"min",6}{"script",8}");
        var ratios = new JsonObject();
        foreach (var (key, samples) in ours)
        {
            string torchKey = key[..key.LastIndexOf('_')];
            double mine = Median(samples), mineMin = samples.Min();
            var theirs = torch.TryGetValue(torchKey, out var t) ? t : null;
            double? pairedRatio = paired.TryGetValue(key, out var pr) ? Median(pr) : null;
            double? anchor = script?[torchKey]?.GetValue<double>();
            Console.WriteLine($"{key,-20}{mine,9:F2}{mineMin,8:F2}{Cell(theirs is null ? null : Median(theirs)),12}{Cell(theirs?.Min()),8}" +
                $"{Cell(pairedRatio),13}{Cell(theirs is null ? null : Median(theirs) / mine),6}{Cell(theirs?.Min() / mineMin),6}{Cell(anchor),8}");
            if (theirs is null) continue;
            ratios[key + "_paired"] = Math.Round(pairedRatio!.Value, 3);
            ratios[key + "_median"] = Math.Round(Median(theirs) / mine, 3);
            ratios[key + "_min"] = Math.Round(theirs.Min() / mineMin, 3);
        }
        var result = new JsonObject
        {
            ["block"] = "splat_c3",
            ["shape"] = new JsonArray(Batch, Channels, Size, Size),
            ["threads"] = Engine.Threads,
            ["rounds"] = o.Rounds,
            ["reps"] = o.Reps,
            ["ours"] = Summaries(ours),
            ["pytorch_interleaved"] = Summaries(torch),
            ["pytorch_bench_blocks"] = script?.DeepClone(),
            ["ratio_pytorch_over_ours"] = ratios,
        };
        Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static void Forward(SplitAttention block, Tensor input)
    {
        using var scope = Tensor.Scope();
        using (GradMode.NoGrad()) block.Forward(input.Alias());
    }

    private static void ForwardBackward(SplitAttention block, Tensor input)
    {
        using var scope = Tensor.Scope();
        var x = input.Alias();
        x.RequiresGrad = true;
        F.Sum(block.Forward(x)).Backward();
        x.ZeroGrad();
    }

    /// <summary>One input per layout, made once and reused, as bench_blocks.py reuses its x.</summary>
    private sealed class Inputs : IDisposable
    {
        private readonly Dictionary<MemoryFormat, Tensor> _byFormat = [];

        public Tensor Get(MemoryFormat format)
        {
            if (_byFormat.TryGetValue(format, out var x)) return x;
            using var scope = Tensor.Scope();
            var random = Tensor.Randn([Batch, Channels, Size, Size], 1);
            x = Tensor.EmptyUnscoped(random.Shape, format);
            F.CopyInto(random, x);
            return _byFormat[format] = x;
        }

        public void Dispose()
        {
            foreach (var x in _byFormat.Values) x.Dispose();
        }
    }

    private static List<double> Time(int reps, Action run)
    {
        var samples = new List<double>();
        for (int i = 0; i < reps; i++)
        {
            long t = Stopwatch.GetTimestamp();
            run();
            samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        return samples;
    }

    private sealed class TorchProcess : IDisposable
    {
        private readonly Process _p;

        private TorchProcess(Process p) => _p = p;

        public static TorchProcess Start(string python, string referenceDir, int threads)
        {
            var psi = new ProcessStartInfo(python, ["-c", TorchServer, referenceDir, threads.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            return new TorchProcess(Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {python}."));
        }

        public List<double> Time(string what, int reps)
        {
            _p.StandardInput.WriteLine($"{what} {reps}");
            _p.StandardInput.Flush();
            string line = _p.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"PyTorch stopped (exit {(_p.HasExited ? _p.ExitCode : -1)}).");
            return JsonSerializer.Deserialize<List<double>>(line)!;
        }

        public void Dispose()
        {
            _p.StandardInput.Close();
            _p.WaitForExit();
            _p.Dispose();
        }
    }

    private static JsonNode? RunScript(Options o, string referenceDir)
    {
        var psi = new ProcessStartInfo(o.Python, [Path.Combine(referenceDir, "bench_blocks.py"), o.Threads.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            WorkingDirectory = referenceDir,
        };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (p.ExitCode == 0 && last is not null && last.StartsWith('{')) return JsonNode.Parse(last)?["splat_c3"];
        Console.Error.WriteLine($"bench_blocks.py failed (exit {p.ExitCode}): {output}");
        return null;
    }

    private static string? FindUp(string relative)
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, relative);
            if (File.Exists(Path.Combine(candidate, "blocks.py"))) return candidate;
        }
        return null;
    }

    private static void Add(SortedDictionary<string, List<double>> d, string key, List<double> samples)
    {
        if (!d.TryGetValue(key, out var list)) d[key] = list = [];
        list.AddRange(samples);
    }

    private static double Median(List<double> samples)
    {
        var s = samples.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string Cell(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static JsonObject Summaries(SortedDictionary<string, List<double>> d) => new(d.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject
    {
        ["median"] = Math.Round(Median(kv.Value), 3),
        ["min"] = Math.Round(kv.Value.Min(), 3),
        ["max"] = Math.Round(kv.Value.Max(), 3),
        ["n"] = kv.Value.Count,
    })));

    private sealed record Options(int Threads, int Rounds, int Reps, string Python, string? ReferenceDir, bool NoTorch, bool NoScript)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(2, 20, 3, "/usr/bin/python3", null, false, false);
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                int Count() => int.TryParse(Next(), CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{args[i - 1]} needs a positive count.");
                o = args[i] switch
                {
                    "--threads" => o with { Threads = Count() },
                    "--rounds" => o with { Rounds = Count() },
                    "--reps" => o with { Reps = Count() },
                    "--python" => o with { Python = Next() },
                    "--reference-dir" => o with { ReferenceDir = Next() },
                    "--no-torch" => o with { NoTorch = true },
                    "--no-script" => o with { NoScript = true },
                    _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --threads N, --rounds N, --reps N, --python PATH, --reference-dir DIR, --no-torch, --no-script."),
                };
            }
            return o;
        }
    }
}
