using ContextNets.Autograd;

namespace ContextNets.Bench;

/// <summary>Times F.Conv2d, forward (inference, under NoGrad) and forward+backward (x and w require grad), for each shape.</summary>
internal static class OurConvs
{
    public const int Warmup = 2;

    /// <summary>Time allowed for the timed reps of one case before fewer reps are taken.</summary>
    public const double BudgetMs = 15_000;

    public sealed record Result(string InputLayout, double FwdMs, double FwdMinMs, int FwdReps, double FwdBwdMs, double FwdBwdMinMs, int FwdBwdReps);

    /// <summary>
    /// The stem's input is an image batch as a user passes it (row-major NCHW,
    /// like PyTorch's default path); every other input is an activation and
    /// so lies in Engine.ActivationFormat, as the previous layer left it.
    /// </summary>
    public static MemoryFormat InputFormat(ConvShape c) => c.Cin == 3 ? MemoryFormat.Contiguous : Engine.ActivationFormat;

    public static Dictionary<string, Result> Run(int batch, IReadOnlyList<ConvShape> convs, int reps)
    {
        var results = new Dictionary<string, Result>();
        foreach (var c in convs)
        {
            results[c.Name] = Time(batch, c, reps);
            var r = results[c.Name];
            Console.Error.WriteLine($"ours {c.Name}: fwd {r.FwdMs:F3} ms, fwd+bwd {r.FwdBwdMs:F3} ms");
        }
        return results;
    }

    private static Result Time(int batch, ConvShape c, int reps)
    {
        using var setup = Tensor.Scope();
        var format = InputFormat(c);
        var x = InLayout(Tensor.Randn([batch, c.Cin, c.Hw, c.Hw], seed: 1), format);
        var w = Tensor.Randn([c.Cout, c.Cin, c.K, c.K], seed: 2, scale: 0.05f);
        var dy = InLayout(Tensor.Randn([batch, c.Cout, c.OutHw, c.OutHw], seed: 3), Engine.ActivationFormat);

        var fwd = Timing.Milliseconds(() =>
        {
            using (GradMode.NoGrad())
            using (Tensor.Scope()) F.Conv2d(x, w, null, c.Stride, c.Pad);
        }, Warmup, reps, BudgetMs);

        x.RequiresGrad = true;
        w.RequiresGrad = true;
        var fwdBwd = Timing.Milliseconds(() =>
        {
            using (Tensor.Scope()) F.Conv2d(x, w, null, c.Stride, c.Pad).Backward(dy);
            x.ZeroGrad();
            w.ZeroGrad();
        }, Warmup, reps, BudgetMs);

        return new Result(format == MemoryFormat.ChannelsLast ? "channels_last" : "nchw", fwd.median, fwd.min, fwd.reps, fwdBwd.median, fwdBwd.min, fwdBwd.reps);
    }

    private static Tensor InLayout(Tensor t, MemoryFormat format) => format == MemoryFormat.Contiguous ? t : F.Materialize(t, format);
}
