using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Backend.Dnnl;

namespace ContextNets.Bench.Precision;

/// <summary>
/// The f32 -> u8 conversion of a lowered conv's input, on the maps a batch-1 ResNet-50 feeds its int8 convs: the
/// managed pass (<c>QuantizeKernels</c>, what <c>DnnlLowPrecisionConv.Convert</c> runs) against oneDNN's reorder
/// (the baseline it replaced), in alternating rounds of --reps calls each (200), median of --rounds (7) per shape.
/// Options: --rounds N, --reps N, --out FILE.
/// </summary>
public static unsafe class ConvertBenchmark
{
    private static readonly int[][] Shapes = [[1, 64, 56, 56], [1, 256, 56, 56], [1, 512, 28, 28], [1, 1024, 14, 14], [1, 2048, 7, 7]];

    public static int Run(string[] args)
    {
        int rounds = 7, reps = 200;
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--reps": reps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": outPath = Value(); break;
                default: Console.Error.WriteLine($"precision-convert: unknown option {args[i]} (--rounds, --reps, --out)."); return 2;
            }
        }
        var started = DateTime.Now;
        string load = MachineInfo.Start("precision-convert", Engine.Threads);
        var rows = new JsonArray();
        foreach (var dims in Shapes)
        {
            using var scope = Tensor.Scope();
            var shape = new Shape(dims);
            var x = F.ToFormat(F.Relu(Tensor.Randn(shape, 1)), Engine.ActivationFormat);
            var md = Md.Strided(dims, Tensor.StridesFor(shape, Engine.ActivationFormat), Dt.U8);
            var buffer = new byte[shape.Numel];
            fixed (byte* to = buffer)
            {
                nint dst = (nint)to;
                Action managed = () => DnnlLowPrecisionConv.Convert(x, md, Dt.U8, dst, 40f);
                Action reorder = () => DnnlLowPrecisionConv.Reorder(x, md, dst, 40f);
                List<double> ours = [], baseline = [];
                managed();
                reorder();
                for (int r = 0; r < rounds; r++)
                {
                    // The order flips every round, so that a change of load falls on both.
                    if (r % 2 == 1) baseline.Add(Timing.MicrosecondsPerCall(reorder, reps, 1, warmupMs: 0));
                    ours.Add(Timing.MicrosecondsPerCall(managed, reps, 1, warmupMs: 0));
                    if (r % 2 == 0) baseline.Add(Timing.MicrosecondsPerCall(reorder, reps, 1, warmupMs: 0));
                }
                double m = Timing.Median([.. ours]), b = Timing.Median([.. baseline]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{string.Join('x', dims),-14} managed {m,8:F1} us   oneDNN reorder {b,8:F1} us   ratio {m / b:F2}"));
                rows.Add(new JsonObject
                {
                    ["shape"] = string.Join('x', dims),
                    ["managed_us"] = Math.Round(m, 2),
                    ["onednn_reorder_us"] = Math.Round(b, 2),
                    ["ratio_managed_over_reorder"] = Math.Round(m / b, 3),
                });
            }
        }
        ResultFile.Write(outPath ?? ResultFile.DefaultPath("precision-convert", started), new JsonObject
        {
            ["machine"] = MachineInfo.Describe(false, load),
            ["rounds"] = rounds,
            ["reps"] = reps,
            ["rows"] = rows,
        });
        return 0;
    }
}
