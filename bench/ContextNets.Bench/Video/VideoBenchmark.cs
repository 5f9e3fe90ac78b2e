using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Autograd;
using ContextNets.Bench.Models;
using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Bench.Video;

/// <summary>
/// Video networks against PyTorch 1.13 in the same run: I3D-NL5 ResNet-50 forward+backward (cross-entropy, no
/// optimizer step) on clips [2, 3, 8, 112, 112], and r3d_18 inference on [1, 3, 16, 112, 112] (ours in eval mode
/// without a gradient tape, PyTorch's eval under no_grad in NCDHW). PyTorch runs bench/python/bench_video.py, kept
/// open and driven round by round, alternating with ours. Prints medians and the paired ratio ours / PyTorch within a
/// round (median over rounds: below 1 is ours faster; the target is 0.8 or less).
/// Options: --threads N (2), --rounds N (3), --reps N (2), --clip-format contiguous|channels-last (the engine's
/// default), --no-torch, --out FILE.
/// </summary>
public static class VideoBenchmark
{
    private sealed record Case(string Key, string Model, int Batch, int Frames, bool Train);

    private static readonly Case[] Cases =
    [
        new("i3d_nl5_fwd_bwd_bs2", "i3d_resnet50_nl5", 2, 8, true),
        new("r3d_18_infer_bs1", "r3d_18", 1, 16, false),
    ];

    public static int Run(string[] args)
    {
        if (PairedOptions.Parse(args, reps: 2, "--clip-format contiguous|channels-last, ", (option, next) =>
            {
                if (option != "--clip-format") return false;
                Engine.ClipFormat = next() == "contiguous" ? MemoryFormat.Contiguous : MemoryFormat.ChannelsLast;
                return true;
            }) is not { } options) return 2;
        var (threads, rounds, reps, noTorch, outPath) = options;
        Environment.SetEnvironmentVariable("CTXNET_THREADS", threads.ToString(CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        var started = DateTime.Now;
        string load = MachineInfo.LoadAverage();
        Console.WriteLine($"video: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, clips {Engine.ClipFormat}, load {load}");
        using var torch = noTorch ? null : TorchModels.Start("/usr/bin/python3", Path.Combine(ResultFile.BenchDir(), "python", "bench_video.py"), threads);
        var results = new JsonObject();
        foreach (var c in Cases)
        {
            long theirParams = torch?.Load(c.Model) ?? 0;
            using var model = VideoZoo.Create(c.Model);
            if (torch is not null && theirParams != model.ParameterCount)
                Console.Error.WriteLine($"warning: {c.Model} has {model.ParameterCount} parameters here and {theirParams} in PyTorch.");
            results[c.Key] = Measure(model, c, torch, rounds, reps);
        }
        var json = new JsonObject
        {
            ["machine"] = MachineInfo.Describe(torch is not null, load),
            ["threads"] = Engine.Threads,
            ["clip_format"] = Engine.ClipFormat.ToString(),
            ["omp_wait_policy"] = TorchModels.WaitPolicy,
            ["rounds"] = rounds,
            ["reps"] = reps,
            ["cases"] = results,
        };
        ResultFile.Write(outPath ?? ResultFile.DefaultPath("video", started), json);
        return 0;
    }

    private static JsonObject Measure(Module model, Case c, TorchModels? torch, int rounds, int reps)
    {
        using var x = Tensor.Randn([c.Batch, 3, c.Frames, 112, 112], 1);
        int[] labels = [.. Enumerable.Range(0, c.Batch).Select(i => i * 97 % 400)];
        model.Train(c.Train);
        Action ours = c.Train ? () => Step(model, x, labels) : () => Infer(model, x);
        string command = c.Train ? "train" : "infer";
        return PairedRounds.Measure(c.Key, ours, torch, command, c.Batch, rounds, reps);
    }

    private static void Step(Module model, Tensor x, int[] labels)
    {
        using (Tensor.Scope()) F.CrossEntropy(model.Forward(x), labels).Backward();
        model.ZeroGrad();
    }

    private static void Infer(Module model, Tensor x)
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        model.Forward(x);
    }
}
