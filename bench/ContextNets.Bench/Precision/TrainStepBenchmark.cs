using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Models;
using ContextNets.Training;

namespace ContextNets.Bench.Precision;

/// <summary>
/// One SGD training step (forward, cross-entropy, backward, update) with f32 convolutions and with bf16 ones
/// throughout (<see cref="Engine.Bf16WeightGradients"/> on: what `ctxnet train --precision bf16` runs), and with bf16
/// forward and backward-data convs whose weight gradients are computed in f32 (the option off), on the same model, in
/// alternating rounds; a row's time is the median over rounds of each chunk's median step. Random weights and data.
/// Options: --models a,b (gc_resnet20,resnet50), --batch N (128 for 28x28 models, 8 for 224x224 ones unless given),
/// --rounds N (5), --seconds S per chunk (1), --threads N (2), --out FILE.
/// </summary>
public static class TrainStepBenchmark
{
    public static int Run(string[] args)
    {
        string[] models = ["gc_resnet20", "resnet50"];
        int? batch = null;
        int rounds = 5, threads = 2;
        double seconds = 1;
        string? output = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--models": models = Value().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                    case "--batch": batch = PrecisionBenchmark.PositiveInt(Value()); break;
                    case "--rounds": rounds = PrecisionBenchmark.PositiveInt(Value()); break;
                    case "--seconds": seconds = PrecisionBenchmark.PositiveSeconds(Value()); break;
                    case "--threads": threads = PrecisionBenchmark.PositiveInt(Value()); break;
                    case "--out": output = Value(); break;
                    default: throw new ArgumentException($"unknown option {args[i]}.");
                }
            }
            foreach (var m in models)
                if (!Zoo.Contains(m)) throw new ArgumentException($"unknown model {m}.");
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"precision-train: {e.Message}");
            return 2;
        }
        var started = DateTime.Now;
        string load = MachineInfo.Start("precision-train", threads);
        var rows = new JsonArray();
        foreach (var name in models)
        {
            using var model = Zoo.Create(name);
            model.Train();
            int size = Zoo.Entry(name).InputSize, n = batch ?? (size <= 32 ? 128 : 8);
            using var x = Tensor.Randn([n, model.Config.InChannels, size, size], 1);
            var labels = Enumerable.Range(0, n).Select(i => i % model.Config.NumClasses).ToArray();
            using var optimizer = Sgd.For(model, 0.001, momentum: 0.9);
            // fp32; bf16 throughout; bf16 forward and backward-data with f32 weight gradients (the default of --precision bf16).
            (bool bf16, bool wgrad)[] variants = [(false, false), (true, true), (true, false)];
            var times = variants.Select(_ => new List<double>()).ToArray();
            foreach (var v in variants) Step(model, optimizer, x, labels, v.bf16, v.wgrad);
            for (int round = 0; round < rounds; round++)
                for (int i = 0; i < variants.Length; i++)
                    times[i].Add(PrecisionBenchmark.Chunk(() => Step(model, optimizer, x, labels, variants[i].bf16, variants[i].wgrad), seconds));
            double fp32 = Timing.Median([.. times[0]]), half = Timing.Median([.. times[1]]), mixed = Timing.Median([.. times[2]]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-12} bs {n}  fp32 step {1000 * fp32:F1} ms  bf16 step {1000 * half:F1} ms ({fp32 / half:F2}x)  bf16 with f32 weight gradients {1000 * mixed:F1} ms ({fp32 / mixed:F2}x)"));
            rows.Add(new JsonObject
            {
                ["model"] = name,
                ["batch_size"] = n,
                ["fp32_ms_per_step"] = Math.Round(1000 * fp32, 2),
                ["bf16_ms_per_step"] = Math.Round(1000 * half, 2),
                ["bf16_speedup"] = Math.Round(fp32 / half, 3),
                ["bf16_f32_wgrad_ms_per_step"] = Math.Round(1000 * mixed, 2),
                ["bf16_f32_wgrad_speedup"] = Math.Round(fp32 / mixed, 3),
            });
        }
        var json = new JsonObject { ["machine"] = MachineInfo.Describe(false, load), ["threads"] = Engine.Threads, ["rounds"] = rounds, ["rows"] = rows };
        ResultFile.Write(output ?? ResultFile.DefaultPath("precision-train", started), json);
        return 0;
    }

    private static void Step(ResNet model, Optimizer optimizer, Tensor x, int[] labels, bool bf16, bool bf16WeightGradients)
    {
        Engine.Bf16Convolutions = bf16;
        Engine.Bf16WeightGradients = bf16WeightGradients;
        try
        {
            using (Tensor.Scope())
            {
                F.CrossEntropy(model.Forward(x), labels).Backward();
                optimizer.Step();
            }
            optimizer.ZeroGrad();
        }
        finally
        {
            Engine.Bf16Convolutions = false;
            Engine.Bf16WeightGradients = true;
        }
    }
}
