using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ContextNets.Autograd;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet bench`: a short measurement of training and inference throughput on random images of the model's
/// input (28x28 gray for gc_resnet20, Fashion-MNIST's shape). The PyTorch comparisons live in bench/ContextNets.Bench.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "The model to time.", DefaultValueFactory = _ => ModelCatalog.Default };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per step.", DefaultValueFactory = _ => TrainCommand.DefaultBatchSize };
        var seconds = new Option<double>("--seconds") { Description = "How long to time each phase.", DefaultValueFactory = _ => 8 };
        var precision = new Option<string>("--precision") { Description = "Comma-separated precisions (fp32,bf16,int8): time the prepared model's inference in each, in alternating rounds, instead of training and eager inference." };
        var json = new Option<string>("--json") { Description = "With --precision: also write the rows (precision, inference_images_per_s, ...) to this JSON file." };
        var command = new Command("bench", "Measure training and inference images/s (the PyTorch comparisons: dotnet run -c Release --project bench/ContextNets.Bench -- all).")
        {
            model, batch, seconds, precision, json,
        };
        command.SetAction(p =>
        {
            string name = p.GetValue(model)!;
            int n = p.GetValue(batch);
            double budget = p.GetValue(seconds);
            ModelCatalog.RequireImageModel(name, "bench");
            if (n < 1) throw new CliException($"--batch-size must be at least 1, not {n}.");
            if (!(budget > 0)) throw new CliException($"--seconds must be positive, not {budget}.");
            var precisions = p.GetValue(precision) is { } list ? PrecisionBench.ParseList(list) : null;
            string? jsonPath = p.GetValue(json);
            if (jsonPath is not null && precisions is null) throw new CliException("--json goes with --precision.");
            if (jsonPath is not null) OutputFile.Require(jsonPath, "--json", "bench.json");
            Engine.EnsureNative();
            var entry = Models.Zoo.Entry(name);
            int size = entry.InputSize, channels = entry.DefaultInChannels;
            using var net = ModelCatalog.Create(name, 10, channels, seed: 1);
            using var optimizer = Sgd.For(net, 0.01, momentum: 0.9, weightDecay: 5e-4, nesterov: true);
            using var images = Tensor.Randn(new Shape(n, channels, size, size), seed: 1);
            var labels = Enumerable.Range(0, n).Select(i => i % 10).ToArray();
            Console.WriteLine($"{name}, batch {n} of {channels}x{size}x{size}, {Engine.Threads} threads, oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa})");
            if (precisions is not null)
            {
                var rows = PrecisionBench.Run(name, net, images, precisions, budget);
                if (jsonPath is not null) File.WriteAllText(jsonPath, rows.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
                return 0;
            }

            net.Train();
            double train = Time(budget, () =>
            {
                using var scope = Tensor.Scope();
                F.CrossEntropy(net.Forward(images), labels).Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training   {n / train,8:F0} images/s  ({1000 * train:F1} ms per step)"));

            net.Eval();
            double infer = Time(budget, () =>
            {
                using var scope = Tensor.Scope();
                using var noGrad = GradMode.NoGrad();
                net.Forward(images);
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inference  {n / infer,8:F0} images/s  ({1000 * infer:F1} ms per batch)"));
            return 0;
        });
        return command;
    }

    /// <summary>Median seconds per call, after three warm-up calls, over as many calls as fit in the budget (at least five).</summary>
    private static double Time(double budget, Action step)
    {
        for (int i = 0; i < 3; i++) step();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || total.Elapsed.TotalSeconds < budget)
        {
            var t = Stopwatch.StartNew();
            step();
            times.Add(t.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
