using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Export;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Bench.Precision;

/// <summary>
/// Inference throughput in every precision against ONNX Runtime 1.32 in the same run: our prepared model in fp32,
/// bf16 and int8, and ONNX Runtime's CPU provider on our fp32 ONNX export (`ort_fp32`) and on the int8 QDQ export
/// of the same int8 model (`ort_int8`, which ONNX Runtime fuses into QLinearConv where the graph allows). Each round
/// times one chunk of every runner in turn (alternating, so that a change in the machine's load falls on all of them
/// alike); a row's time per batch is the median over rounds of each chunk's median call. Random weights, 224x224
/// inputs; int8 calibrates on 8 random images (scales change accuracy, not speed), with no f32 fallback.
/// Options: --models a,b (resnet50,gcresnet50,resnest50d), --batches 1,8, --rounds N (5), --seconds S per chunk
/// (0.6), --threads N (2), --out FILE.
/// </summary>
public static class PrecisionBenchmark
{
    private static readonly string[] DefaultModels = ["resnet50", "gcresnet50", "resnest50d"];

    public static int Run(string[] args)
    {
        Options o;
        try { o = Options.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        var started = DateTime.Now;
        string load = MachineInfo.Start("precision", o.Threads);
        var rows = new JsonArray();
        string dir = Directory.CreateTempSubdirectory("ctxnet-precision-bench-").FullName;
        try
        {
            foreach (var name in o.Models)
                foreach (int batch in o.Batches)
                    foreach (var row in Measure(name, batch, o, dir)) rows.Add(row);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        var json = new JsonObject
        {
            ["machine"] = MachineInfo.Describe(false, load),
            ["threads"] = Engine.Threads,
            ["rounds"] = o.Rounds,
            ["seconds_per_chunk"] = o.Seconds,
            ["onnxruntime"] = OrtRunner.Version,
            ["rows"] = rows,
        };
        ResultFile.Write(o.Out ?? ResultFile.DefaultPath("precision", started), json);
        return 0;
    }

    private static IEnumerable<JsonObject> Measure(string name, int batch, Options o, string dir)
    {
        using var model = Zoo.Create(name, numClasses: 1000);
        model.Eval();
        int size = Zoo.Entry(name).InputSize, c = model.Config.InChannels;
        using var images = Tensor.Randn([batch, c, size, size], 1);
        using var calibration = Tensor.Randn([8, c, size, size], 2);
        var export = new OnnxExportOptions { InputShape = new Shape(batch, c, size, size) };
        var runners = new List<(string precision, Func<Action> make)>();
        using var fp32 = model.Prepare();
        using var bf16 = model.Prepare(new InferenceOptions { Precision = ContextNets.Precision.Bf16 });
        using var int8 = model.Prepare(new InferenceOptions { Precision = ContextNets.Precision.Int8, Calibration = calibration, MinSqnrDb = 0 });
        string fp32Path = Path.Combine(dir, $"{name}-b{batch}-fp32.onnx"), int8Path = Path.Combine(dir, $"{name}-b{batch}-int8.onnx");
        model.ExportOnnx(fp32Path, export);
        int8.ExportOnnx(int8Path, export);
        using var ortFp32 = new OrtRunner(fp32Path, images, o.Threads);
        using var ortInt8 = new OrtRunner(int8Path, images, o.Threads);
        (string precision, Action run)[] all =
        [
            ("fp32", () => fp32.Predict(images).Dispose()),
            ("bf16", () => bf16.Predict(images).Dispose()),
            ("int8", () => int8.Predict(images).Dispose()),
            ("ort_fp32", ortFp32.Run),
            ("ort_int8", ortInt8.Run),
        ];
        foreach (var (_, run) in all) run();
        var times = all.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < o.Rounds; round++)
            for (int i = 0; i < all.Length; i++)
                times[i].Add(Chunk(all[i].run, o.Seconds));
        var seconds = times.Select(t => Timing.Median([.. t])).ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-12} bs {batch}  {all[i].precision,-8} {batch / seconds[i],8:F1} images/s  ({1000 * seconds[i]:F2} ms per batch, {seconds[0] / seconds[i]:F2}x our fp32, {seconds[3] / seconds[i]:F2}x ort_fp32)"));
            yield return new JsonObject
            {
                ["model"] = name,
                ["batch_size"] = batch,
                ["precision"] = all[i].precision,
                ["inference_images_per_s"] = Math.Round(batch / seconds[i], 2),
                ["ms_per_batch"] = Math.Round(1000 * seconds[i], 3),
                ["speedup_vs_our_fp32"] = Math.Round(seconds[0] / seconds[i], 3),
                ["speedup_vs_ort_fp32"] = Math.Round(seconds[3] / seconds[i], 3),
                ["int8_convs"] = int8.Quantization!.Layers.Count,
                ["ort_qlinearconv"] = all[i].precision == "ort_int8" ? ortInt8.Count("QLinearConv") : null,
            };
        }
    }

    /// <summary>Median seconds of one call over the calls that fit in <paramref name="seconds"/> (at least three).</summary>
    internal static double Chunk(Action run, double seconds)
    {
        var times = new List<double>();
        var total = System.Diagnostics.Stopwatch.StartNew();
        while (times.Count < 3 || total.Elapsed.TotalSeconds < seconds)
        {
            var t = System.Diagnostics.Stopwatch.StartNew();
            run();
            times.Add(t.Elapsed.TotalSeconds);
        }
        return Timing.Median([.. times]);
    }

    private sealed record Options(string[] Models, int[] Batches, int Rounds, double Seconds, int Threads, string? Out)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(DefaultModels, [1, 8], 5, 0.6, 2, null);
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                o = args[i] switch
                {
                    "--models" => o with { Models = Value().Split(',', StringSplitOptions.RemoveEmptyEntries) },
                    "--batches" => o with { Batches = [.. Value().Split(',').Select(PositiveInt)] },
                    "--rounds" => o with { Rounds = PositiveInt(Value()) },
                    "--seconds" => o with { Seconds = PositiveSeconds(Value()) },
                    "--threads" => o with { Threads = PositiveInt(Value()) },
                    "--out" => o with { Out = Value() },
                    var unknown => throw new ArgumentException($"precision: unknown option {unknown} (--models, --batches, --rounds, --seconds, --threads, --out)."),
                };
            }
            foreach (var m in o.Models)
                if (!Zoo.Contains(m)) throw new ArgumentException($"precision: unknown model {m}.");
            return o;
        }

    }

    internal static int PositiveInt(string s) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"'{s}' is not a positive integer.");

    internal static double PositiveSeconds(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : throw new ArgumentException($"'{s}' is not a positive number of seconds.");
}
