using System.Globalization;
using System.Text.Json.Nodes;

namespace ContextNets.Bench;

/// <summary>
/// Where Winograd pays: a 3x3, stride-1 conv C->C on N x C x S x S maps, Winograd against the direct kernels, in
/// alternating rounds of the same run, each with <see cref="Engine.Winograd"/> set for it. Two costs per case:
/// <list type="bullet">
/// <item>a forward whose weight is already reordered (steady inference);</item>
/// <item>the first forward of a new weight (a model's first call, an eval after a training step): the weight is a fresh
/// copy of the same values, so the reorder, or Winograd's weight transform, runs again.</item>
/// </list>
/// The ratio is Winograd's median time over the direct one's (below 1: Winograd is faster). The cutoff in
/// <c>DnnlWinograd.MinSide</c> comes from this table. Options: --threads N (1), --rounds N (3), --reps N (5), --out FILE.
/// </summary>
public static class WinogradSizesBenchmark
{
    private static readonly int[] Batches = [1, 8], Channels = [64, 256, 512], Sides = [1, 2, 4, 7, 14, 28];

    public static int Run(string[] args)
    {
        var o = PairedOptions.Parse(args, reps: 5);
        if (o is null) return 2;
        if (!args.Contains("--threads")) o = o with { Threads = 1 };
        if (!args.Contains("--rounds")) o = o with { Rounds = 3 };
        Environment.SetEnvironmentVariable("CTXNET_THREADS", o.Threads.ToString(CultureInfo.InvariantCulture));
        string load = MachineInfo.LoadAverage();
        Console.WriteLine($"3x3 conv, Winograd against direct: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, {o.Rounds} rounds of {o.Reps}");
        var cases = new JsonObject();
        bool before = Engine.Winograd;
        int cutoff = Backend.Dnnl.DnnlWinograd.MinSide;
        // Winograd on every size, so that the table shows what the cutoff avoids.
        Backend.Dnnl.DnnlWinograd.MinSide = 1;
        try
        {
            foreach (int n in Batches)
            foreach (int c in Channels)
            foreach (int s in Sides)
            {
                if (c == 512 && s > 14) continue;
                var (warm, fresh) = Case(n, c, s, o);
                string name = $"n{n}_c{c}_s{s}";
                cases[name] = new JsonObject
                {
                    ["direct_ms"] = Math.Round(warm[0], 4), ["winograd_ms"] = Math.Round(warm[1], 4), ["winograd_over_direct"] = Math.Round(warm[1] / warm[0], 3),
                    ["new_weight_direct_ms"] = Math.Round(fresh[0], 3), ["new_weight_winograd_ms"] = Math.Round(fresh[1], 3),
                    ["new_weight_winograd_over_direct"] = Math.Round(fresh[1] / fresh[0], 3),
                };
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-14} reordered weight: direct {warm[0],8:F3} ms, Winograd {warm[1],8:F3} ms ({warm[1] / warm[0]:F2}x); new weight: {fresh[0],8:F3} / {fresh[1],8:F3} ms ({fresh[1] / fresh[0]:F2}x)"));
            }
        }
        finally
        {
            Engine.Winograd = before;
            Backend.Dnnl.DnnlWinograd.MinSide = cutoff;
        }
        ResultFile.Write(o.Out ?? ResultFile.DefaultPath("winograd-sizes", DateTime.UtcNow), o.Report(withTorch: false, load, cases));
        return 0;
    }

    // Medians over the rounds of each side's per-round median, index 0 direct and 1 Winograd.
    private static (double[] warm, double[] fresh) Case(int n, int c, int s, PairedOptions o)
    {
        using var x = Tensor.Randn(new Shape(n, c, s, s), 1);
        using var weight = Tensor.Randn(new Shape(c, c, 3, 3), 2, 0.05f);
        var values = weight.ToArray();
        var warm = new List<double>[] { [], [] };
        var fresh = new List<double>[] { [], [] };
        for (int round = 0; round < o.Rounds; round++)
            for (int side = 0; side < 2; side++)
            {
                Engine.Winograd = side == 1;
                warm[side].Add(Timing.Milliseconds(() => { using var y = F.Conv2d(x, weight, null, 1, 1); }, warmup: 1, o.Reps).median);
                fresh[side].Add(Timing.Milliseconds(() =>
                {
                    using var copy = Tensor.FromArray(values, c, c, 3, 3);
                    using var y = F.Conv2d(x, copy, null, 1, 1);
                }, warmup: 1, o.Reps).median);
            }
        return ([Timing.Median([.. warm[0]]), Timing.Median([.. warm[1]])], [Timing.Median([.. fresh[0]]), Timing.Median([.. fresh[1]])]);
    }
}
