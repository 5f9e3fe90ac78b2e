using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Bench.Models;
using ContextNets.Models.Segmentation;

namespace ContextNets.Bench.Segmentation;

/// <summary>
/// Segmenters against torchvision 0.14 on PyTorch 1.13 in the same run (bench/python/bench_segmentation.py, kept open
/// and driven round by round, alternating with ours): deeplabv3_resnet50 and fcn_resnet50 inference on one image
/// [1, 3, 512, 512], 21 classes, no aux head, random weights, ours in eval mode without a gradient tape
/// (<see cref="Segmenter.Run"/>), PyTorch's eval under no_grad; both give `out`, the scores upsampled to 512x512.
/// Prints medians and the paired ratio ours / PyTorch within a round (median over rounds: below 1 is ours faster;
/// the issue's target for DeepLabV3 is 0.8 or less).
/// Options: --threads N (2), --rounds N (3), --reps N (2), --only deeplabv3_resnet50|fcn_resnet50, --no-torch, --out FILE.
/// </summary>
public static class SegmentationBenchmark
{
    public const int Side = 512;

    private static readonly string[] Models = ["deeplabv3_resnet50", "fcn_resnet50"];

    public static int Run(string[] args)
    {
        string? only = null;
        if (PairedOptions.Parse(args, reps: 2, "--only MODEL, ", (option, next) =>
            {
                if (option != "--only") return false;
                only = next();
                return true;
            }) is not { } options) return 2;
        if (only is not null && !Models.Contains(only))
        {
            Console.Error.WriteLine($"--only takes {string.Join(" or ", Models)}, not '{only}'.");
            return 2;
        }
        var (threads, rounds, reps, noTorch, outPath) = options;
        Environment.SetEnvironmentVariable("CTXNET_THREADS", threads.ToString(CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        var started = DateTime.Now;
        string load = MachineInfo.LoadAverage();
        Console.WriteLine($"segmentation: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, activations {Engine.ActivationFormat}, load {load}");
        using var torch = noTorch ? null : TorchModels.Start("/usr/bin/python3", Path.Combine(ResultFile.BenchDir(), "python", "bench_segmentation.py"), threads);
        var results = new JsonObject();
        foreach (var name in Models.Where(m => only is null || m == only))
            results[$"{name}_infer_{Side}_bs1"] = Inference(name, torch, rounds, reps);
        var json = options.Report(torch is not null, load, results);
        ResultFile.Write(outPath ?? ResultFile.DefaultPath("segmentation", started), json);
        return 0;
    }

    private static JsonObject Inference(string name, TorchModels? torch, int rounds, int reps)
    {
        long theirParams = torch?.Load(name) ?? 0;
        using var model = Segmenters.Create(name, Segmenters.DefaultClasses);
        if (torch is not null && theirParams != model.ParameterCount)
            Console.Error.WriteLine($"warning: {name} has {model.ParameterCount} parameters here and {theirParams} in PyTorch.");
        model.Eval();
        using var image = Tensor.Uniform([1, 3, Side, Side], 1);
        void Forward()
        {
            using var outputs = model.Run(image);
        }
        return PairedRounds.Measure($"{name}_infer_{Side}_bs1", Forward, torch, "infer", 1, rounds, reps);
    }
}
