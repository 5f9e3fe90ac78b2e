using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet bench --precision fp32,bf16,int8`: the prepared model's inference throughput in each precision, measured
/// in alternating rounds (one timed chunk of each precision per round, so that a change in the machine's load falls
/// on all of them alike), reported as the median over rounds. Int8 calibrates on a few random images of the input
/// size first: the scales do not change the speed, only the accuracy, which `ctxnet eval --precision` measures.
/// </summary>
internal static class PrecisionBench
{
    private const int Rounds = 5;

    public static JsonArray Run(string name, Module net, Tensor images, IReadOnlyList<Precision> precisions, double budget)
    {
        if (net is not ResNet resnet) throw new CliException($"{name} has no prepared inference path for --precision.");
        net.Eval();
        var prepared = new List<InferenceModel>();
        try
        {
            foreach (var p in precisions)
            {
                using var calibration = p == Precision.Int8 ? Tensor.Randn(new Shape(Math.Min(8, images.Shape[0]), images.Shape[1], images.Shape[2], images.Shape[3]), seed: 2) : null;
                prepared.Add(resnet.Prepare(new InferenceOptions { Precision = p, Calibration = calibration, MinSqnrDb = 0 }));
            }
            var times = precisions.Select(_ => new List<double>()).ToArray();
            foreach (var m in prepared) Step(m, images);
            for (int round = 0; round < Rounds; round++)
                for (int i = 0; i < prepared.Count; i++)
                    times[i].Add(Chunk(prepared[i], images, budget / Rounds));
            var rows = new JsonArray();
            int n = images.Shape[0];
            for (int i = 0; i < prepared.Count; i++)
            {
                times[i].Sort();
                double seconds = times[i][times[i].Count / 2];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{PrecisionChoice.Name(precisions[i]),-5} inference  {n / seconds,8:F1} images/s  ({1000 * seconds:F2} ms per batch)"));
                rows.Add(new JsonObject
                {
                    ["model"] = name,
                    ["batch_size"] = n,
                    ["precision"] = PrecisionChoice.Name(precisions[i]),
                    ["inference_images_per_s"] = Math.Round(n / seconds, 2),
                    ["ms_per_batch"] = Math.Round(1000 * seconds, 3),
                    ["rounds"] = Rounds,
                    ["threads"] = Engine.Threads,
                    ["onednn_isa"] = Engine.OneDnnIsa,
                });
            }
            return rows;
        }
        finally
        {
            foreach (var m in prepared) m.Dispose();
        }
    }

    /// <summary>Median seconds per batch over the calls that fit in one round's share of the budget (at least three).</summary>
    private static double Chunk(InferenceModel model, Tensor images, double seconds)
    {
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 3 || total.Elapsed.TotalSeconds < seconds)
        {
            var t = Stopwatch.StartNew();
            Step(model, images);
            times.Add(t.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static void Step(InferenceModel model, Tensor images) => model.Predict(images).Dispose();

    public static IReadOnlyList<Precision> ParseList(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliException("--precision names at least one of fp32, bf16, int8.");
        var result = names.Select(PrecisionChoice.Parse).ToList();
        if (result.Distinct().Count() != result.Count) throw new CliException($"--precision names a precision twice: {list}.");
        return result;
    }
}
