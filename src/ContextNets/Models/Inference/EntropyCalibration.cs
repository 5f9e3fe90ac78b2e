namespace ContextNets.Models.Inference;

/// <summary>
/// Entropy calibration, TensorRT's method (Migacz, "8-bit Inference with TensorRT", GTC 2017) as MXNet's and ONNX
/// Runtime's calibrators implement it, on a histogram of |x|. For each candidate range, the first i bins: the
/// reference P is those bins with every value beyond them counted in the last (they clip to the top); the candidate
/// Q is the same i bins merged into as many groups as there are quantized levels and spread back evenly over each
/// group's non-empty bins (what quantizing to that range keeps). The range with the least KL(P || Q) wins.
/// </summary>
internal static class EntropyCalibration
{
    // Zero probabilities get this much, taken evenly from the others, so that KL stays finite (MXNet's smoothing).
    private const double Epsilon = 1e-4;

    /// <summary>
    /// How many of the histogram's lowest bins the range keeps: i in [<paramref name="levels"/>, bins] minimizing
    /// KL(P_i || Q_i), the first on ties. <paramref name="levels"/>: the quantized magnitudes (128 for s8, 256 for u8).
    /// </summary>
    public static int KeptBins(ReadOnlySpan<long> histogram, int levels)
    {
        int bins = histogram.Length;
        if (levels < 1 || levels > bins) throw new ArgumentException($"Entropy calibration needs 1 to {bins} levels, not {levels}.");
        var suffix = new long[bins + 1];
        for (int b = bins - 1; b >= 0; b--) suffix[b] = suffix[b + 1] + histogram[b];
        if (suffix[0] == 0) return bins;
        int best = bins;
        double bestDivergence = double.PositiveInfinity;
        var p = new double[bins];
        var q = new double[bins];
        for (int i = levels; i <= bins; i++)
        {
            for (int b = 0; b < i; b++) p[b] = histogram[b];
            p[i - 1] += suffix[i];
            Candidate(histogram[..i], p.AsSpan(0, i), q.AsSpan(0, i), levels);
            double divergence = Divergence(p.AsSpan(0, i), q.AsSpan(0, i));
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                best = i;
            }
        }
        return best;
    }

    /// <summary>
    /// Q: the bins merged into <paramref name="levels"/> groups of i / levels bins (the last takes the rest), each
    /// group's count spread evenly over the bins where P is not zero.
    /// </summary>
    private static void Candidate(ReadOnlySpan<long> bins, ReadOnlySpan<double> p, Span<double> q, int levels)
    {
        int i = bins.Length, perGroup = i / levels;
        for (int j = 0; j < levels; j++)
        {
            int start = j * perGroup, stop = j == levels - 1 ? i : start + perGroup;
            double sum = 0;
            int nonZero = 0;
            for (int b = start; b < stop; b++)
            {
                sum += bins[b];
                if (p[b] != 0) nonZero++;
            }
            for (int b = start; b < stop; b++) q[b] = p[b] != 0 ? sum / nonZero : 0;
        }
    }

    /// <summary>KL(P || Q) of the two histograms, each smoothed then normalized; infinite when either cannot be smoothed (Q empty).</summary>
    private static double Divergence(Span<double> p, Span<double> q)
    {
        if (!Smooth(p) || !Smooth(q)) return double.PositiveInfinity;
        double pTotal = 0, qTotal = 0;
        for (int b = 0; b < p.Length; b++)
        {
            pTotal += p[b];
            qTotal += q[b];
        }
        double divergence = 0;
        for (int b = 0; b < p.Length; b++)
        {
            double pb = p[b] / pTotal, qb = q[b] / qTotal;
            if (pb > 0) divergence += pb * Math.Log(pb / qb);
        }
        return divergence;
    }

    /// <summary>
    /// Moves <see cref="Epsilon"/> onto each zero of the counts, taken evenly from the others (as MXNet, on counts, not
    /// probabilities); false when nothing is left positive to take it from.
    /// </summary>
    private static bool Smooth(Span<double> h)
    {
        int zeros = 0;
        foreach (double v in h) if (v == 0) zeros++;
        int nonZeros = h.Length - zeros;
        if (nonZeros == 0) return false;
        double taken = Epsilon * zeros / nonZeros;
        for (int b = 0; b < h.Length; b++)
        {
            h[b] = h[b] == 0 ? Epsilon : h[b] - taken;
            if (h[b] <= 0) return false;
        }
        return true;
    }
}
