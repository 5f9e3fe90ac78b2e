using System.Globalization;
using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Bench.Blocks;

/// <summary>
/// What the non-local block's float64 path costs (docs/models.md, "Exactness"). Each case runs the block as the
/// zoo builds it twice: with its init weights, where the largest row range R of the scaled logits is below
/// NonLocalPrecision.Float32Limit and the block runs in float32, and with theta and phi scaled by 100 (R grows 10^4 times),
/// which sends it to the float64 path. It prints R for each, then forward under NoGrad and forward+backward of
/// y.sum(), median of 3 after 1 warm-up; the two regimes alternate within each round, and each keeps its best round.
/// nlresnet50's block runs at batch 2, not 8: its float64 path takes seconds a step on a shared machine.
/// Options: --rounds R (default 2).
/// </summary>
public static class NonLocalPrecisionBenchmark
{
    private sealed record Case(string Name, int Batch, int Channels, int Size, bool SubSample, bool UseScale);

    private static readonly Case[] Cases =
    [
        // nlresnet50's block in stage 4 (ZooImageNet: sub-sampled, unscaled logits, BN after W_z).
        new("nlresnet50_c4_bs2", 2, 1024, 14, true, false),
        // nl_resnet20's block at stage 2, 14x14 for the zoo's 28x28 input (ZooCifar: no sub-sampling, scaled logits).
        new("nl_resnet20_s2_bs128", 128, 32, 14, false, true),
    ];

    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--rounds");
        int rounds = i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 2;
        Console.WriteLine($"oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads");
        var best = new Dictionary<string, (double fwd, double fwdBwd)>();
        for (int round = 1; round <= rounds; round++)
        foreach (var c in Cases)
        foreach (double sharpen in new[] { 1.0, 100.0 })
        {
            var (m, fwd, fb) = Measure(c, sharpen);
            string key = $"{c.Name} {(m > NonLocalPrecision.Float32Limit ? "float64" : "float32")}";
            Console.WriteLine($"round {round} {key,-32} R {m,10:G4}  fwd {fwd,9:F2} ms  fwd+bwd {fb,9:F2} ms");
            var old = best.TryGetValue(key, out var b) ? b : (fwd: double.MaxValue, fwdBwd: double.MaxValue);
            best[key] = (Math.Min(old.fwd, fwd), Math.Min(old.fwdBwd, fb));
        }
        foreach (var (key, (fwd, fb)) in best) Console.WriteLine($"best {key,-32} fwd {fwd,9:F2} ms  fwd+bwd {fb,9:F2} ms");
        for (int round = 1; round <= rounds; round++)
        foreach (double sharpen in new[] { 1.0, 100.0 })
            Console.WriteLine($"round {round} nl_resnet20 train step, batch 64, 1x28x28, theta/phi x{sharpen}: {TrainStep(sharpen):F1} ms");
        return 0;
    }

    private static (double m, double fwd, double fwdBwd) Measure(Case c, double sharpen)
    {
        using var block = new NonLocal(c.Channels, Pairwise.EmbeddedGaussian, subSample: c.SubSample, useScale: c.UseScale, norm: true);
        block.Train();
        foreach (var w in new[] { block.Theta!.Weight, block.Phi!.Weight }) TensorPrimitivesScale(w, sharpen);
        using var x = F.Materialize(Tensor.Randn([c.Batch, c.Channels, c.Size, c.Size], 1), Engine.ActivationFormat);
        double m = LargestRowRange(block, x);
        double fwd = Timing.Milliseconds(() =>
        {
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            block.Forward(x);
        }, 1, 3).median;
        x.RequiresGrad = true;
        double fwdBwd = Timing.Milliseconds(() =>
        {
            using var scope = Tensor.Scope();
            F.Sum(block.Forward(x)).Backward();
        }, 1, 3).median;
        return (m, fwd, fwdBwd);
    }

    // One SGD step of the zoo's nl_resnet20 (median of 3 after 1 warm-up), its NL block sharpened as in Measure.
    private static double TrainStep(double sharpen)
    {
        using var model = Zoo.Create("nl_resnet20", numClasses: 10);
        var nl = model.NamedModules().Select(m => m.module).OfType<NonLocal>().Single();
        foreach (var w in new[] { nl.Theta!.Weight, nl.Phi!.Weight }) TensorPrimitivesScale(w, sharpen);
        model.Train();
        using var optimizer = Sgd.For(model, 0.01, momentum: 0.9);
        using var x = F.Materialize(Tensor.Randn([64, 1, 28, 28], 2), Engine.ActivationFormat);
        int[] labels = [.. Enumerable.Range(0, 64).Select(i => i % 10)];
        return Timing.Milliseconds(() =>
        {
            using (Tensor.Scope())
            {
                F.CrossEntropy(model.Forward(x), labels).Backward();
                optimizer.Step();
            }
            optimizer.ZeroGrad();
        }, 1, 3).median;
    }

    private static void TensorPrimitivesScale(Tensor t, double factor) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(t.Span, (float)factor, t.Span);

    // The largest row range of the scaled logits, the block's own criterion, read off the captured softmax weights
    // as ln(max a / min a) per row.
    private static double LargestRowRange(NonLocal block, Tensor x)
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        block.CaptureAttention = true;
        block.Forward(x);
        block.CaptureAttention = false;
        var a = block.LastAttention!.ToArray();
        int cols = block.LastAttention.Shape[^1];
        double largest = 0;
        for (int r = 0; r < a.Length / cols; r++)
        {
            var row = a.AsSpan(r * cols, cols);
            largest = Math.Max(largest, Math.Log((double)System.Numerics.Tensors.TensorPrimitives.Max(row) / System.Numerics.Tensors.TensorPrimitives.Min(row)));
        }
        return largest;
    }
}
