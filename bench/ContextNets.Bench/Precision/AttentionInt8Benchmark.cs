using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Bench.Precision;

/// <summary>
/// What int8 attention blocks cost in accuracy on the ImageNet-size zoo models, which have no trained weights here:
/// the logits' cosine similarity to the f32 prepared model of the int8 model with the attention blocks in f32 (the
/// default) and in simulated int8 (<see cref="InferenceOptions.Int8Attention"/>), and each attention block's SQNR.
/// Random weights, with the zoo's zero-initialized tensors (GC's last transform conv, the last BN of a block) drawn
/// too so that every block contributes; calibration on 8 random images, evaluation on --images others (4), 224x224.
/// Options: --models a,b (gcresnet50,resnest50d), --images N, --out FILE.
/// </summary>
public static class AttentionInt8Benchmark
{
    public static int Run(string[] args)
    {
        string[] models = ["gcresnet50", "resnest50d"];
        int count = 4;
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--models": models = Value().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--images": count = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": outPath = Value(); break;
                default: Console.Error.WriteLine($"precision-attention: unknown option {args[i]} (--models, --images, --out)."); return 2;
            }
        }
        var started = DateTime.Now;
        string load = MachineInfo.Start("precision-attention", Engine.Threads);
        var rows = new JsonArray();
        foreach (var name in models) rows.Add(Measure(name, count));
        ResultFile.Write(outPath ?? ResultFile.DefaultPath("precision-attention", started), new JsonObject
        {
            ["machine"] = MachineInfo.Describe(false, load),
            ["images"] = count,
            ["rows"] = rows,
        });
        return 0;
    }

    private static JsonObject Measure(string name, int count)
    {
        using var model = Zoo.Create(name, numClasses: 1000);
        DrawZeroInitialized(model);
        model.Eval();
        int size = Zoo.Entry(name).InputSize, c = model.Config.InChannels;
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var calibration = Tensor.Randn([8, c, size, size], 2);
        var images = Tensor.Randn([count, c, size, size], 3);
        using var fp32 = model.Prepare();
        using var int8 = model.Prepare(new InferenceOptions { Precision = ContextNets.Precision.Int8, Calibration = calibration, MinSqnrDb = 0 });
        using var both = model.Prepare(new InferenceOptions { Precision = ContextNets.Precision.Int8, Calibration = calibration, MinSqnrDb = 0, Int8Attention = true });
        var reference = fp32.Predict(images).ToArray();
        double backbone = Cosine(reference, int8.Predict(images).ToArray()), attention = Cosine(reference, both.Predict(images).ToArray());
        var blocks = both.AttentionErrors;
        var sqnr = blocks.Select(b => b.SqnrDb).Order().ToArray();
        var contribution = blocks.Select(b => b.ContributionSqnrDb).Where(double.IsFinite).Order().ToArray();
        string added = contribution.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $", contribution min {contribution[0]:F1} median {Median(contribution):F1}") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-12} cosine to f32: int8 {backbone:F6}, int8 + int8 attention {attention:F6}; {blocks.Count} blocks, SQNR dB min {sqnr.FirstOrDefault():F1} median {Median(sqnr):F1}{added}"));
        return new JsonObject
        {
            ["model"] = name,
            ["cosine_int8"] = Math.Round(backbone, 6),
            ["cosine_int8_attention"] = Math.Round(attention, 6),
            ["blocks"] = new JsonArray([.. blocks.Select(b => (JsonNode)new JsonObject
            {
                ["block"] = b.Block,
                ["sqnr_db"] = Math.Round(b.SqnrDb, 2),
                ["contribution_sqnr_db"] = double.IsFinite(b.ContributionSqnrDb) ? Math.Round(b.ContributionSqnrDb, 2) : null,
            })]),
        };
    }

    // Zero tensors of rank 2 and more get uniform fan-in values, zero norm weights 1: otherwise GC blocks add nothing.
    private static void DrawZeroInitialized(ResNet model)
    {
        var rng = new Random(7);
        foreach (var (key, t) in model.NamedParameters())
        {
            var values = t.ToArray();
            if (values.Any(v => v != 0)) continue;
            if (t.Shape.Rank == 1)
            {
                if (key.EndsWith(".weight", StringComparison.Ordinal)) t.CopyFrom(Enumerable.Repeat(1f, t.Numel).ToArray());
                continue;
            }
            double bound = Math.Sqrt(3.0 * t.Shape[0] / t.Numel);
            t.CopyFrom([.. values.Select(_ => (float)(bound * (2 * rng.NextDouble() - 1)))]);
        }
    }

    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b).Sum(p => (double)p.First * p.Second) / Math.Sqrt(a.Sum(v => (double)v * v) * b.Sum(v => (double)v * v));

    private static double Median(double[] sorted) => sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
}
