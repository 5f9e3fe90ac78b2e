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
/// With --study: ours alone (torchvision has no CCNet head and no SK body) on the six segmenters of
/// docs/segmentation.md's study, as they were trained: [1, 3, 128, 128], 11 classes, output stride 16.
/// Options: --threads N (2), --rounds N (3), --reps N (2), --only MODEL, --study, --no-torch, --out FILE.
/// </summary>
public static class SegmentationBenchmark
{
    public const int Side = 512;

    private static readonly string[] Models = ["deeplabv3_resnet50", "fcn_resnet50"];

    /// <summary>The study's segmenters, side, classes (background and Fashion-MNIST's 10) and output stride.</summary>
    private static readonly string[] StudyModels =
        ["fcn_resnet18", "deeplabv3_resnet18", "ccnet_resnet18", "fcn_skresnet18", "deeplabv3_skresnet18", "ccnet_skresnet18"];
    private const int StudySide = 128, StudyClasses = 11, StudyOutputStride = 16;

    public static int Run(string[] args)
    {
        string? only = null;
        bool study = false;
        if (PairedOptions.Parse(args, reps: 2, "--only MODEL, --study, ", (option, next) =>
            {
                if (option == "--study") study = true;
                else if (option == "--only") only = next();
                else return false;
                return true;
            }) is not { } options) return 2;
        var models = study ? StudyModels : Models;
        if (only is not null && !models.Contains(only))
        {
            Console.Error.WriteLine($"--only takes {string.Join(" or ", models)}, not '{only}'.");
            return 2;
        }
        var (threads, rounds, reps, noTorch, outPath) = options;
        noTorch |= study;
        Environment.SetEnvironmentVariable("CTXNET_THREADS", threads.ToString(CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        var started = DateTime.Now;
        string load = MachineInfo.LoadAverage();
        Console.WriteLine($"segmentation: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, activations {Engine.ActivationFormat}, load {load}");
        using var torch = noTorch ? null : TorchModels.Start("/usr/bin/python3", Path.Combine(ResultFile.BenchDir(), "python", "bench_segmentation.py"), threads);
        var results = new JsonObject();
        foreach (var name in models.Where(m => only is null || m == only))
        {
            var (side, classes, stride) = study ? (StudySide, StudyClasses, StudyOutputStride) : (Side, Segmenters.DefaultClasses, 8);
            results[$"{name}_infer_{side}_bs1"] = Inference(name, torch, rounds, reps, side, classes, stride);
        }
        var json = options.Report(torch is not null, load, results);
        ResultFile.Write(outPath ?? ResultFile.DefaultPath(study ? "segmentation-study" : "segmentation", started), json);
        return 0;
    }

    private static JsonObject Inference(string name, TorchModels? torch, int rounds, int reps, int side, int classes, int outputStride)
    {
        long theirParams = torch?.Load(name) ?? 0;
        using var model = Segmenters.Create(name, classes, outputStride: outputStride);
        if (torch is not null && theirParams != model.ParameterCount)
            Console.Error.WriteLine($"warning: {name} has {model.ParameterCount} parameters here and {theirParams} in PyTorch.");
        model.Eval();
        using var image = Tensor.Uniform([1, 3, side, side], 1);
        void Forward()
        {
            using var outputs = model.Run(image);
        }
        return PairedRounds.Measure($"{name}_infer_{side}_bs1", Forward, torch, "infer", 1, rounds, reps);
    }
}
