using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Training;
using ContextNets.Training.Distributed;

namespace ContextNets.Bench.Scaling;

/// <summary>
/// One measured configuration: training steps of a zoo model on a fixed synthetic global batch (the loader is left
/// out on both sides), SGD with momentum, per-rank BatchNorm. Alone (no MPI at all) it is the single-process
/// baseline; with --distributed, every rank under mpirun takes its share of the global batch and averages the
/// gradients in 25 MB buckets overlapped with backward, exactly as ctxnet train --distributed does. Rank 0 prints
/// one JSON line: images per second of the whole job over the timed steps.
/// </summary>
internal static class ScalingWorker
{
    public static int Run(string[] args)
    {
        string model = Arg(args, "--model");
        int batch = int.Parse(Arg(args, "--batch"), CultureInfo.InvariantCulture);
        int warmup = int.Parse(Arg(args, "--warmup"), CultureInfo.InvariantCulture);
        int steps = int.Parse(Arg(args, "--steps"), CultureInfo.InvariantCulture);
        using var replicas = args.Contains("--distributed") ? Replicas.Start() : null;
        int ranks = replicas?.Count ?? 1;
        var entry = Zoo.Entry(model);
        // The 28x28 models train on Fashion-MNIST here (1 channel, 10 classes), as ctxnet train does; the others on ImageNet's shapes.
        int channels = entry.InputSize == 28 ? 1 : entry.DefaultInChannels, classes = entry.InputSize == 28 ? 10 : entry.DefaultClasses;
        Initializers.Seed(1);
        using var net = Zoo.Create(model, classes, channels);
        net.Train();
        using var optimizer = Sgd.For(net, 0.01, 0.9, 5e-4, nesterov: true, noDecayOnNormAndBias: true);
        using var buckets = replicas is null ? null : new GradientBuckets(replicas.Communicator, [.. optimizer.Parameters()], 25L << 20);
        var rng = new Random(7 + (replicas?.Rank ?? 0));
        int local = batch / ranks, size = entry.InputSize;
        using var images = Tensor.FromArray([.. Enumerable.Range(0, local * channels * size * size).Select(_ => (float)rng.NextDouble())], local, channels, size, size);
        var labels = Enumerable.Range(0, local).Select(_ => rng.Next(classes)).ToArray();

        var clock = new Stopwatch();
        for (int s = 0; s < warmup + steps; s++)
        {
            replicas?.Barrier();
            if (s == warmup) clock.Start();
            using var scope = Tensor.Scope();
            var loss = F.CrossEntropy(net.Forward(images), labels);
            loss.Backward();
            buckets?.Finish();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        replicas?.Barrier();
        clock.Stop();
        if (replicas?.IsRoot ?? true)
            Console.WriteLine(new JsonObject
            {
                ["model"] = model,
                ["global_batch"] = batch,
                ["ranks"] = ranks,
                ["threads_per_rank"] = Engine.Threads,
                ["steps"] = steps,
                ["seconds"] = clock.Elapsed.TotalSeconds,
                ["images_per_second"] = steps * (double)batch / clock.Elapsed.TotalSeconds,
            }.ToJsonString());
        return 0;
    }

    private static string Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0 || i + 1 >= args.Length) throw new ArgumentException($"scaling-worker needs {name} VALUE.");
        return args[i + 1];
    }
}
