using System.Text.Json.Nodes;

namespace ContextNets.Bench;

/// <summary>
/// The ResNet-50 convolutions, ours against PyTorch in the same run. The
/// machine is shared and noisy, so the two sides are sandwiched: the first
/// PyTorch layout runs before our side and the others after it, each side in
/// one pass over all shapes.
/// </summary>
internal static class ConvsBenchmark
{
    public static JsonObject Run(BenchOptions o, DateTime started)
    {
        string loadAtStart = MachineInfo.LoadAverage();
        string bench = ResultFile.BenchDir();
        string shapesPath = Path.Combine(bench, "resnet50_convs.json");
        string script = Path.Combine(bench, "python", "bench_convs.py");
        var (batch, convs) = ConvShape.Load(shapesPath);
        if (o.Only is { } only)
        {
            convs = convs.Where(c => only.Contains(c.Name)).ToList();
            if (convs.Count == 0) throw new ArgumentException($"--only {string.Join(',', only)} matches no shape in {shapesPath}.");
            shapesPath = FilteredCopy(batch, convs);
        }

        var torch = new Dictionary<string, Dictionary<string, TorchConvs.Result>>();
        var order = new JsonArray();
        // When each side ran and under what load, so that a reader can judge how comparable the phases were.
        T Phase<T>(string what, Func<T> run)
        {
            var phase = new JsonObject { ["what"] = what, ["started"] = DateTime.Now.ToString("o"), ["load_average_before"] = MachineInfo.LoadAverage() };
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = run();
            phase["seconds"] = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds, 1);
            order.Add(phase);
            return result;
        }
        void RunTorch(string layout) =>
            torch[layout] = Phase($"pytorch {layout} (one process, all shapes)", () => TorchConvs.Run(script, shapesPath, o.Threads, layout, o.Reps));

        if (o.TorchLayouts.Length > 0) RunTorch(o.TorchLayouts[0]);
        var ours = Phase("contextnets (all shapes)", () => OurConvs.Run(batch, convs, o.Reps));
        foreach (var layout in o.TorchLayouts.Skip(1)) RunTorch(layout);

        var report = new ConvReport(batch, convs, ours, torch);
        report.PrintTable(o.TorchLayouts);
        var json = report.ToJson();
        json.Insert(0, "benchmark", "convs");
        json.Insert(1, "date", started.ToString("o"));
        json.Insert(2, "machine", MachineInfo.Describe(o.TorchLayouts.Length > 0, loadAtStart));
        json.Insert(3, "threads", o.Threads);
        json.Insert(4, "batch", batch);
        json.Insert(5, "reps", o.Reps);
        json.Insert(6, "warmup", OurConvs.Warmup);
        json.Insert(7, "method", Method(o));
        json.Insert(8, "order", order);
        json.Insert(9, "load_average_at_end", MachineInfo.LoadAverage());
        return json;
    }

    private static string Method(BenchOptions o) =>
        $"Median of {o.Reps} single calls after {OurConvs.Warmup} warm-up calls, per shape, both sides (Stopwatch / time.perf_counter); " +
        $"ours takes fewer reps (at least 3, see fwd_reps / fwd_bwd_reps) when the reps would exceed {OurConvs.BudgetMs / 1000} s. " +
        "Ours: F.Conv2d without bias; forward under GradMode.NoGrad (inference primitive); forward+backward with x and w requiring grad, " +
        "y.Backward(dy), then the leaf gradients dropped; each call in its own Tensor.Scope. Inputs and dy in Engine.ActivationFormat " +
        "(channels-last), except the stem's input (Cin = 3), which is row-major NCHW as a user passes images; weights row-major OIHW. " +
        "PyTorch: bench/python/bench_convs.py, F.conv2d in the named layout (nchw = its default path). " +
        "The sides run one after the other, never at once, in the order given; ratio = ours_ms / torch_ms (below 1: ours is faster).";

    private static string FilteredCopy(int batch, List<ConvShape> convs)
    {
        var arr = new JsonArray();
        foreach (var c in convs)
            arr.Add(new JsonObject
            {
                ["name"] = c.Name, ["cin"] = c.Cin, ["cout"] = c.Cout, ["k"] = c.K,
                ["stride"] = c.Stride, ["pad"] = c.Pad, ["hw"] = c.Hw, ["count"] = c.Count,
            });
        string path = Path.Combine(Path.GetTempPath(), $"contextnets-convs-{Environment.ProcessId}.json");
        File.WriteAllText(path, new JsonObject { ["batch"] = batch, ["convs"] = arr }.ToJsonString());
        return path;
    }
}
