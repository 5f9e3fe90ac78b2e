using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Bench.Models;
using ContextNets.Detection;
using ContextNets.Detection.Training;

namespace ContextNets.Bench.Detection;

/// <summary>
/// Mask R-CNN R50-FPN against torchvision 0.14 on PyTorch 1.13 in the same run (bench/python/bench_detection.py,
/// kept open and driven round by round, alternating with ours), both with random weights, 91 classes and a
/// FrozenBatchNorm body with three trainable stages:
///   maskrcnn_r50_infer_800x1067: one image [3, 800, 1067] through detection (transform, RPN, heads, masks pasted),
///     eval mode without a gradient tape on both sides;
///   maskrcnn_r50_train_320_bs2: a training step at min/max size 320 on two images with two objects each: the five
///     losses, summed, and backward (no optimizer step).
/// Random weights make the detections' count, and so the post-processing's cost, differ between the two sides.
/// Options: --threads N (2), --rounds N (3), --reps N (1), --no-torch, --out FILE.
/// </summary>
public static class DetectionBenchmark
{
    public static int Run(string[] args)
    {
        if (PairedOptions.Parse(args, reps: 1) is not { } options) return 2;
        var (threads, rounds, reps, noTorch, outPath) = options;
        Environment.SetEnvironmentVariable("CTXNET_THREADS", threads.ToString(CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        var started = DateTime.Now;
        string load = MachineInfo.LoadAverage();
        Console.WriteLine($"detection: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, load {load}");
        using var torch = noTorch ? null : TorchModels.Start("/usr/bin/python3", Path.Combine(ResultFile.BenchDir(), "python", "bench_detection.py"), threads);
        var results = new JsonObject
        {
            ["maskrcnn_r50_infer_800x1067"] = Inference(torch, rounds, reps),
            ["maskrcnn_r50_train_320_bs2"] = TrainingStep(torch, rounds, reps),
        };
        var json = options.Report(torch is not null, load, results);
        ResultFile.Write(outPath ?? ResultFile.DefaultPath("detection", started), json);
        return 0;
    }

    private static JsonObject Inference(TorchModels? torch, int rounds, int reps)
    {
        using var model = Create("maskrcnn_infer", new DetectorSettings(), torch);
        model.Eval();
        using var image = Tensor.Uniform([3, 800, 1067], 1);
        return PairedRounds.Measure("maskrcnn_r50_infer_800x1067", () => model.Detect([image]), torch, "infer", 1, rounds, reps);
    }

    private static JsonObject TrainingStep(TorchModels? torch, int rounds, int reps)
    {
        var settings = new DetectorSettings { MinSize = 320, MaxSize = 320 };
        using var model = Create("maskrcnn_train", settings, torch);
        model.Train();
        var samplers = new DetectionSamplers(settings, seed: 1);
        Tensor[] images = [Tensor.Uniform([3, 320, 320], 1), Tensor.Uniform([3, 320, 320], 2)];
        DetectionTarget[] targets = [Target(0), Target(1)];
        void Step()
        {
            using (Tensor.Scope()) model.Losses(images, targets, samplers).Total().Backward();
            model.ZeroGrad();
        }
        var result = PairedRounds.Measure("maskrcnn_r50_train_320_bs2", Step, torch, "train", 2, rounds, reps);
        foreach (var t in images) t.Dispose();
        return result;
    }

    private static MaskRcnn Create(string peerName, DetectorSettings settings, TorchModels? torch)
    {
        long theirParams = torch?.Load(peerName) ?? 0;
        var model = DetectionZoo.Create("maskrcnn_resnet50_fpn", 91, settings);
        if (torch is not null && theirParams != model.ParameterCount)
            Console.Error.WriteLine($"warning: {peerName} has {model.ParameterCount} parameters here and {theirParams} in PyTorch.");
        return model;
    }

    /// <summary>The peer's targets: two boxes with box-shaped masks, shifted by the image's index.</summary>
    private static DetectionTarget Target(int i)
    {
        float[] boxes = [20 + i, 30, 140, 170, 150, 60 + i, 300, 260];
        var masks = new byte[2 * 320 * 320];
        for (int k = 0; k < 2; k++)
            for (int y = (int)boxes[4 * k + 1]; y < (int)boxes[4 * k + 3]; y++)
                for (int x = (int)boxes[4 * k]; x < (int)boxes[4 * k + 2]; x++) masks[(k * 320 + y) * 320 + x] = 1;
        return new DetectionTarget(boxes, [3, 17], masks, 320, 320);
    }
}
