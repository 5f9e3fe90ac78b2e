using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.Training;

namespace ContextNets.Bench.Models;

/// <summary>
/// Whole networks against PyTorch in the same run: inference at bs 1 and 8 (224x224; ours through the folded
/// <see cref="InferenceModel"/>, PyTorch's NCHW eval under no_grad, and channels_last at bs 8) and one SGD training
/// step at bs 8, for resnet50, gcresnet50, seresnet50 and resnest50d. PyTorch runs bench/python/bench_models.py
/// (torchvision's resnet50; the others as tests/python/make_zoo_case.py defines them), kept open and driven
/// round by round, alternating with ours so that both see the same machine load. Prints medians, minimums, the
/// paired ratio (PyTorch / ours within a round, median over rounds: above 1 is ours faster) and GFLOP/s against
/// the 234 GFLOP/s FMA peak of DESIGN.md (forward 2 x MACs per image from the profiler; a training step 3x that).
/// Options: --threads N (2), --rounds N (3), --reps N (3), --only a,b, --no-torch, --no-train, --out FILE.
/// </summary>
public static class ModelsBenchmark
{
    private const double PeakGflops = 234;
    private static readonly string[] DefaultModels = ["resnet50", "gcresnet50", "seresnet50", "resnest50d"];

    private sealed record Case(string Key, string TorchCommand, int Batch, bool Train);

    private static readonly Case[] Cases =
    [
        new("infer_bs1", "infer", 1, false),
        new("infer_bs8", "infer", 8, false),
        new("train_bs8", "train", 8, true),
    ];

    public static int Run(string[] args)
    {
        Options o;
        try { o = Options.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        Environment.SetEnvironmentVariable("CTXNET_THREADS", o.Threads.ToString(CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        var started = DateTime.Now;
        string load = MachineInfo.LoadAverage();
        Console.WriteLine($"models: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, activations {Engine.ActivationFormat}, load {load}");
        string script = Path.Combine(ResultFile.BenchDir(), "python", "bench_models.py");
        var cases = o.NoTrain ? Cases.Where(c => !c.Train).ToArray() : Cases;

        var results = new JsonObject();
        using var torch = o.NoTorch ? null : TorchModels.Start(o.Python, script, o.Threads);
        foreach (var name in o.Models)
        {
            double gflopPerImage = 2 * Zoo.Profile(name).Total.Ops.Macs / 1e9;
            long theirParams = torch?.Load(name) ?? 0;
            using var model = Zoo.Create(name);
            if (torch is not null && theirParams != model.ParameterCount)
                Console.Error.WriteLine($"warning: {name} has {model.ParameterCount} parameters here and {theirParams} in PyTorch.");
            var samples = Measure(model, cases, torch, o);
            results[name] = Report(name, gflopPerImage, cases, samples, torch is not null);
        }
        var json = new JsonObject
        {
            ["machine"] = MachineInfo.Describe(torch is not null, load),
            ["threads"] = Engine.Threads,
            ["omp_wait_policy"] = TorchModels.WaitPolicy,
            ["rounds"] = o.Rounds,
            ["reps"] = o.Reps,
            ["peak_gflops"] = PeakGflops,
            ["models"] = results,
        };
        ResultFile.Write(o.Out ?? ResultFile.DefaultPath("models", started), json);
        return 0;
    }

    private sealed class Samples
    {
        public readonly Dictionary<string, List<double>> Ours = [], Torch = [], Paired = [];

        public static void Add(Dictionary<string, List<double>> d, string key, IEnumerable<double> values)
        {
            if (!d.TryGetValue(key, out var list)) d[key] = list = [];
            list.AddRange(values);
        }
    }

    private static Samples Measure(ResNet model, Case[] cases, TorchModels? torch, Options o)
    {
        var s = new Samples();
        model.Eval();
        using var inference = model.Prepare();
        var inputs = cases.Select(c => c.Batch).Distinct().ToDictionary(b => b, b => Tensor.Randn([b, 3, 224, 224], b));
        int[] labels = [.. Enumerable.Range(0, 8).Select(i => i * 97 % 1000)];
        using var optimizer = Sgd.For(model, 0.01, momentum: 0.9);
        Action Ours(Case c) => c.Train ? () => TrainStep(model, optimizer, inputs[c.Batch], labels[..c.Batch]) : () => Predict(inference, inputs[c.Batch]);
        try
        {
            // Warm-up: primitives, weight layouts and PyTorch's own first calls.
            foreach (var c in cases)
            {
                if (c.Train) model.Train();
                Time(Ours(c), 1);
                torch?.Time(c.TorchCommand, c.Batch, 1);
                if (c.Train) model.Eval();
            }
            if (torch is not null && !o.NoChannelsLast) torch.Time("infer_cl", 8, 1);
            for (int round = 0; round < o.Rounds; round++)
            {
                foreach (var c in cases)
                {
                    if (c.Train) model.Train();
                    bool torchFirst = round % 2 == 1;
                    List<double>? theirs = torchFirst ? torch?.Time(c.TorchCommand, c.Batch, o.Reps) : null;
                    var mine = Time(Ours(c), o.Reps);
                    if (!torchFirst) theirs = torch?.Time(c.TorchCommand, c.Batch, o.Reps);
                    if (c.Train) model.Eval();
                    Samples.Add(s.Ours, c.Key, mine);
                    if (theirs is null) continue;
                    Samples.Add(s.Torch, c.Key, theirs);
                    Samples.Add(s.Paired, c.Key, [Timing.Median([.. theirs]) / Timing.Median([.. mine])]);
                }
                if (torch is not null && !o.NoChannelsLast) Samples.Add(s.Torch, "infer_bs8_channels_last", torch.Time("infer_cl", 8, o.Reps));
                Console.Error.Write('.');
            }
            Console.Error.WriteLine();
        }
        finally
        {
            foreach (var x in inputs.Values) x.Dispose();
        }
        return s;
    }

    private static void Predict(InferenceModel inference, Tensor x)
    {
        using var scope = Tensor.Scope();
        inference.Predict(x);
    }

    private static void TrainStep(ResNet model, Optimizer optimizer, Tensor x, int[] labels)
    {
        using (Tensor.Scope())
        {
            F.CrossEntropy(model.Forward(x), labels).Backward();
            optimizer.Step();
        }
        optimizer.ZeroGrad();
    }

    internal static List<double> Time(Action run, int reps)
    {
        var samples = new List<double>(reps);
        for (int i = 0; i < reps; i++)
        {
            long t = Stopwatch.GetTimestamp();
            run();
            samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        return samples;
    }

    private static JsonObject Report(string name, double gflopPerImage, Case[] cases, Samples s, bool withTorch)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{name} ({gflopPerImage.ToString("F2", inv)} GFLOP per image forward)");
        Console.WriteLine($"  {"",-10}{"ours ms",9}{"min",9}{"GFLOP/s",9}{"% peak",8}{"PyTorch ms",12}{"min",9}{"ratio paired",14}{"median",8}");
        var json = new JsonObject { ["gflop_per_image"] = Math.Round(gflopPerImage, 3) };
        foreach (var c in cases)
        {
            var mine = s.Ours[c.Key];
            double med = Timing.Median([.. mine]);
            double gflops = gflopPerImage * c.Batch * (c.Train ? 3 : 1) / (med / 1000);
            var entry = new JsonObject
            {
                ["ours_ms"] = Summary(mine),
                ["ours_gflops"] = Math.Round(gflops, 1),
                ["ours_fraction_of_peak"] = Math.Round(gflops / PeakGflops, 3),
            };
            string torchCells = "";
            if (withTorch && s.Torch.TryGetValue(c.Key, out var theirs))
            {
                double tmed = Timing.Median([.. theirs]), paired = Timing.Median([.. s.Paired[c.Key]]);
                entry["pytorch_ms"] = Summary(theirs);
                entry["pytorch_gflops"] = Math.Round(gflopPerImage * c.Batch * (c.Train ? 3 : 1) / (tmed / 1000), 1);
                entry["ratio_paired"] = Math.Round(paired, 3);
                entry["ratio_median"] = Math.Round(tmed / med, 3);
                torchCells = $"{tmed.ToString("F1", inv),12}{theirs.Min().ToString("F1", inv),9}{paired.ToString("F2", inv),14}{(tmed / med).ToString("F2", inv),8}";
            }
            Console.WriteLine($"  {c.Key,-10}{med.ToString("F1", inv),9}{mine.Min().ToString("F1", inv),9}{gflops.ToString("F1", inv),9}{(100 * gflops / PeakGflops).ToString("F1", inv),8}{torchCells}");
            json[c.Key] = entry;
        }
        if (withTorch && s.Torch.TryGetValue("infer_bs8_channels_last", out var cl))
        {
            double cmed = Timing.Median([.. cl]);
            Console.WriteLine($"  PyTorch channels_last bs8: {cmed.ToString("F1", inv)} ms (ours / that: {(cmed / Timing.Median([.. s.Ours["infer_bs8"]])).ToString("F2", inv)}x)");
            json["pytorch_channels_last_bs8_ms"] = Summary(cl);
        }
        return json;
    }

    private static JsonObject Summary(List<double> v) => new()
    {
        ["median"] = Math.Round(Timing.Median([.. v]), 2),
        ["min"] = Math.Round(v.Min(), 2),
        ["max"] = Math.Round(v.Max(), 2),
        ["n"] = v.Count,
    };

    private sealed record Options(int Threads, int Rounds, int Reps, string[] Models, string Python, bool NoTorch, bool NoTrain, bool NoChannelsLast, string? Out)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(2, 3, 3, DefaultModels, "/usr/bin/python3", false, false, false, null);
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                int Count() => int.TryParse(Next(), CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{args[i - 1]} needs a positive count.");
                o = args[i] switch
                {
                    "--threads" => o with { Threads = Count() },
                    "--rounds" => o with { Rounds = Count() },
                    "--reps" => o with { Reps = Count() },
                    "--only" => o with { Models = Next().Split(',') },
                    "--python" => o with { Python = Next() },
                    "--no-torch" => o with { NoTorch = true },
                    "--no-train" => o with { NoTrain = true },
                    "--no-channels-last" => o with { NoChannelsLast = true },
                    "--out" => o with { Out = Next() },
                    _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --threads N, --rounds N, --reps N, --only a,b, --python PATH, --no-torch, --no-train, --no-channels-last, --out FILE."),
                };
            }
            foreach (var m in o.Models)
                if (!DefaultModels.Contains(m)) throw new ArgumentException($"models: '{m}' is not benchmarked; choose from {string.Join(", ", DefaultModels)}.");
            return o;
        }
    }
}
