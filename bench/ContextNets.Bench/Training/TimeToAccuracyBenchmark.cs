using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Training;

namespace ContextNets.Bench.Training;

/// <summary>
/// Time to accuracy: gc_resnet20 trained on Fashion-MNIST until its test accuracy reaches the target, by
/// `ctxnet train` and by bench/python/train_fashion_mnist.py (the same architecture, initialization and recipe in
/// PyTorch), one after the other on this machine. The time is the sum of the epochs' clocks (training and
/// evaluation, as both sides count them) up to the first epoch at or above the target; the ratio is ours / PyTorch
/// (below 1 is ours faster). Both processes run at the same priority; each side's CPU time and load average are
/// recorded with it, because a shared machine moves the wall clock of an hour-long run.
/// Writes bench/results/tta-STAMP.json and a chart of test accuracy against time, tta-STAMP.png.
/// Options: --epochs N (20: the schedule's length), --target PCT (93), --threads N (2),
/// --ours-full (ours trains the whole schedule, for its final accuracy; the time to the target is read off the same run),
/// --ours-run DIR (a finished `ctxnet train --aug basic` run with this recipe, instead of training ours),
/// --torch-json FILE (a finished train_fashion_mnist.py result, instead of running PyTorch), --python PATH, --out FILE.
/// </summary>
public static class TimeToAccuracyBenchmark
{
    public const string Model = "gc_resnet20";

    public static int Run(string[] args)
    {
        Options o;
        try { o = Options.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        var started = DateTime.Now;
        string loadAtStart = MachineInfo.LoadAverage();
        string bench = ResultFile.BenchDir(), root = Path.GetDirectoryName(bench)!;
        string stamp = started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);

        var ours = o.OursRun is { } run ? OursFromRun(run, o) : TrainOurs(root, Path.Combine(bench, "results", $"tta-ours-{stamp}"), o);
        var torch = o.TorchJson is { } file ? TorchFromJson(file, o) : TrainTorch(o, Path.Combine(bench, "python", "train_fashion_mnist.py"), Path.Combine(bench, "results", $"tta-torch-{stamp}.json"));

        var json = new JsonObject
        {
            ["benchmark"] = "time_to_accuracy",
            ["model"] = Model,
            ["recipe"] = $"{o.Epochs} epochs (cosine), batch 128, SGD Nesterov lr 0.1, wd 5e-4, warmup 0.2 epochs, random crop (padding 2) + flip",
            ["target_accuracy"] = o.Target / 100,
            ["threads"] = o.Threads,
            ["started"] = started.ToString("s", CultureInfo.InvariantCulture),
            ["machine"] = MachineInfo.Describe(withTorch: false, loadAtStart),
            ["load_average_at_end"] = MachineInfo.LoadAverage(),
            ["ours"] = ours.ToJson(o.Target),
            ["pytorch"] = torch.ToJson(o.Target),
        };
        double? mine = ours.SecondsTo(o.Target), theirs = torch.SecondsTo(o.Target);
        json["ratio_ours_over_pytorch"] = mine / theirs;
        json["epoch_time_ratio"] = ours.MeanEpochSeconds() / torch.MeanEpochSeconds();
        string outPath = o.Out ?? Path.Combine(bench, "results", $"tta-{stamp}.json");
        ResultFile.Write(outPath, json);
        string chart = Path.ChangeExtension(outPath, ".png");
        TimeToAccuracyChart.Write(chart, [("ContextNets", ours), ("PyTorch", torch)], o.Target);
        Console.WriteLine($"wrote {chart}");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Time to {o.Target}%: ours {Describe(mine, ours, o.Target)}, PyTorch {Describe(theirs, torch, o.Target)}; ratio ours/PyTorch {(mine / theirs)?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a"} (mean epoch {ours.MeanEpochSeconds():F1} s vs {torch.MeanEpochSeconds():F1} s)."));
        return mine is null || theirs is null ? 1 : 0;
    }

    private static string Describe(double? seconds, Curve c, double target) =>
        seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s / 60:F1} min at epoch {c.EpochAt(target)}") : $"not reached in {c.Rows.Count} epochs";

    private static Curve TrainOurs(string root, string dir, Options o)
    {
        string[] stop = o.OursFull ? [] : ["--stop-at", Str(o.Target)];
        string[] args = ["train", "--model", Model, "--epochs", Str(o.Epochs), "--aug", "basic", .. stop, "--out", dir];
        var (wall, cpu) = RunProcess(Path.Combine(root, "ctxnet"), args, o.Threads);
        return OursFromRun(dir, o) with { ProcessSeconds = wall, CpuSeconds = cpu };
    }

    /// <summary>A run's metrics, after checking that config.json holds the benchmark's recipe.</summary>
    private static Curve OursFromRun(string run, Options o)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        var t = config["trainer"]!;
        var mismatches = new List<string>();
        void Expect(string what, string? actual, string expected) { if (actual != expected) mismatches.Add($"{what} {actual} (expected {expected})"); }
        Expect("model", (string?)config["model"], Model);
        Expect("aug", (string?)config["aug"], "basic");
        Expect("epochs", t["epochs"]?.ToString(), Str(o.Epochs));
        Expect("batch", config["batch_size"]?.ToString(), "128");
        Expect("lr", t["lr"]?.ToString(), "0.1");
        Expect("warmup", t["warmup_epochs"]?.ToString(), "0.2");
        if (mismatches.Count > 0) throw new InvalidDataException($"{run} is not this benchmark's recipe: {string.Join(", ", mismatches)}.");
        var rows = MetricsCsv.Read(Path.Combine(run, MetricsCsv.FileName));
        Engine.EnsureNative();
        return new Curve($"ContextNets {typeof(Engine).Assembly.GetName().Version}, oneDNN {Engine.OneDnnVersion}", rows.Select(r => (r.Epoch, r.TestAccuracy, r.Seconds)).ToList(), run);
    }

    private static Curve TrainTorch(Options o, string script, string jsonPath)
    {
        var args = new[] { script, "--epochs", Str(o.Epochs), "--target", Str(o.Target / 100), "--threads", Str(o.Threads), "--json", jsonPath };
        var (wall, cpu) = RunProcess(o.Python, args, o.Threads);
        return TorchFromJson(jsonPath, o) with { ProcessSeconds = wall, CpuSeconds = cpu };
    }

    private static Curve TorchFromJson(string path, Options o)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        if ((int?)json["epochs"] != o.Epochs) throw new InvalidDataException($"{path} trained a {json["epochs"]}-epoch schedule, not {o.Epochs}.");
        var rows = json["rows"]!.AsArray().Select(r => ((int)r!["epoch"]!, (double)r["test_acc"]!, (double)r["seconds"]!)).ToList();
        return new Curve((string)json["framework"]!, rows, path);
    }

    /// <summary>Runs a child with the engine's thread count in its environment; returns its wall and CPU seconds.</summary>
    private static (double wall, double cpu) RunProcess(string file, string[] args, int threads)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["CTXNET_THREADS"] = Str(threads);
        info.Environment["CI"] = "true";
        Console.WriteLine($"$ {file} {string.Join(' ', args)}");
        double cpuBefore = ChildCpuTime.Seconds();
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} exited with code {p.ExitCode}.");
        return (clock.Elapsed.TotalSeconds, ChildCpuTime.Seconds() - cpuBefore);
    }

    private static string Str(double v) => v.ToString(CultureInfo.InvariantCulture);

    private sealed record Options(int Epochs, double Target, int Threads, bool OursFull, string? OursRun, string? TorchJson, string Python, string? Out)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(20, 93, 2, false, null, null, "/usr/bin/python3", null);
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                o = args[i] switch
                {
                    "--epochs" => o with { Epochs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--target" => o with { Target = double.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--threads" => o with { Threads = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--ours-full" => o with { OursFull = true },
                    "--ours-run" => o with { OursRun = Next() },
                    "--torch-json" => o with { TorchJson = Next() },
                    "--python" => o with { Python = Next() },
                    "--out" => o with { Out = Next() },
                    _ => throw new ArgumentException($"tta: unknown option {args[i]} (see TimeToAccuracyBenchmark.cs for the options)."),
                };
            }
            if (!(o.Target > 0 && o.Target <= 100)) throw new ArgumentException($"--target is a percentage, not {o.Target}.");
            return o;
        }
    }
}
