namespace ContextNets.Models.Inference;

/// <summary>One attention block's error in simulated int8: its output against its f32 output on the same input.</summary>
/// <param name="Block">The block's short name (gc, se, nl, splat, ...) and its position among the model's attention blocks.</param>
/// <param name="SqnrDb">10 log10(sum y^2 / sum (y - y_int8)^2) over the first calibration batch (infinite when exact).</param>
/// <param name="ContributionSqnrDb">
/// The same with the block's change to its input, y - x, as the signal, for a block that adds to or scales its input
/// (GC, SE, NL, SNL, criss-cross; NaN for split attention and selective kernel): such a block's output SQNR is near
/// that of x's own rounding, which this counts as noise against the (smaller) change; a lower bound of how well the
/// change itself survives.
/// </param>
public sealed record BlockQuantization(string Block, double SqnrDb, double ContributionSqnrDb);

/// <summary>
/// Switches a prepared model's attention blocks to simulated int8 (<see cref="AttentionInt8Step"/>) and measures each
/// block's error as <see cref="Quantizer"/> measures a conv's: on the input the int8 model actually gives the block
/// (upstream error included in the input, not counted against the block), its f32 output against its int8 output.
/// </summary>
internal static class AttentionInt8
{
    public static IReadOnlyList<BlockQuantization> Apply(Func<Tensor, Tensor> predict, IReadOnlyList<AttentionInt8Step> steps, Tensor? images, int batchSize)
    {
        if (images is null)
        {
            foreach (var s in steps) s.Use(int8: true);
            return [];
        }
        var index = steps.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        var signal = new double[steps.Count];
        var noise = new double[steps.Count];
        var contribution = new double[steps.Count];
        var sameShape = new bool[steps.Count];
        Action<AttentionInt8Step, Tensor>? observe = null;
        observe = (step, x) =>
        {
            step.Observer = null;
            step.Use(int8: false);
            using var reference = step.Run(x);
            step.Use(int8: true);
            using var lowered = step.Run(x);
            step.Observer = observe;
            var (r, q) = (reference.ToArray(), lowered.ToArray());
            int i = index[step];
            sameShape[i] = step.ReadsInput && x.Shape == reference.Shape;
            var v = sameShape[i] ? x.ToArray() : null;
            for (int j = 0; j < r.Length; j++)
            {
                signal[i] += (double)r[j] * r[j];
                noise[i] += ((double)r[j] - q[j]) * ((double)r[j] - q[j]);
                if (v is not null) contribution[i] += ((double)r[j] - v[j]) * ((double)r[j] - v[j]);
            }
        };
        foreach (var s in steps) s.Observer = observe;
        try
        {
            using var scope = Tensor.Scope();
            using var first = F.Slice(images, 0, 0, Math.Min(batchSize, images.Shape[0]));
            predict(first).Dispose();
        }
        finally
        {
            foreach (var s in steps)
            {
                s.Observer = null;
                s.Use(int8: true);
            }
        }
        return [.. steps.Select((s, i) => new BlockQuantization($"{s.Name} {i}", Db(signal[i], noise[i]), sameShape[i] ? Db(contribution[i], noise[i]) : double.NaN))];
    }

    private static double Db(double signal, double noise) => noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
}
