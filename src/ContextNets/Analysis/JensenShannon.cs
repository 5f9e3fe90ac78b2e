using ContextNets.Backend.Managed;

namespace ContextNets.Analysis;

/// <summary>
/// The Jensen-Shannon divergence between distributions, in nats: JSD(p, q) = (KL(p || m) + KL(q || m)) / 2 with
/// m = (p + q) / 2, from 0 for equal distributions to ln 2 for disjoint ones. The inputs are non-negative maps,
/// each normalized to sum 1 here (attention maps sum to 1 up to float round-off).
/// </summary>
public static class JensenShannon
{
    /// <summary>The divergence between two maps of one length.</summary>
    public static double Pair(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        if (p.Length != q.Length) throw new ArgumentException($"Jensen-Shannon divergence between maps of lengths {p.Length} and {q.Length}.");
        var (sp, ep) = Row(p, 0);
        var (sq, eq) = Row(q, 1);
        return Divergence(p, q, 1 / sp, 1 / sq, ep + eq);
    }

    /// <summary>
    /// The mean divergence over all pairs i &lt; j of the rows of a row-major [count, dim] matrix: the pairs are
    /// visited one at a time (rows in parallel, in double), so the memory stays O(count) whatever the size.
    /// </summary>
    public static unsafe double MeanOverPairs(ReadOnlySpan<float> maps, int count, int dim)
    {
        PairShape.Check("Jensen-Shannon divergence", maps.Length, count, dim);
        // With sum p = 1: JSD = (sum p ln p + sum q ln q) / 2 + sum_k s ln(2 / s) / 2 with s = p + q, so each row's
        // own term is computed once and a pair costs one log per element.
        var inverse = new double[count];
        var entropy = new double[count];
        for (int i = 0; i < count; i++)
        {
            var (s, e) = Row(maps.Slice(i * dim, dim), i);
            inverse[i] = 1 / s;
            entropy[i] = e;
        }
        // Row i pairs with the count - 1 - i rows after it: folding row t with row count - 1 - t gives every
        // work item the same count - 1 pairs, so the threads' shares are even.
        var folded = new double[count];
        fixed (float* data = maps)
        {
            float* m = data;
            Par.For((count + 1) / 2, (long)count * dim, (begin, end) =>
            {
                for (int t = begin; t < end; t++)
                {
                    Rows(m, count, dim, t, inverse, entropy, folded);
                    if (count - 1 - t != t) Rows(m, count, dim, count - 1 - t, inverse, entropy, folded);
                }
            });
        }
        double total = 0;
        foreach (double f in folded) total += f;
        return total / ((double)count * (count - 1) / 2);
    }

    private static unsafe void Rows(float* m, int count, int dim, int i, double[] inverse, double[] entropy, double[] sums)
    {
        var p = new ReadOnlySpan<float>(m + (long)i * dim, dim);
        double sum = 0;
        for (int j = i + 1; j < count; j++)
            sum += Divergence(p, new ReadOnlySpan<float>(m + (long)j * dim, dim), inverse[i], inverse[j], entropy[i] + entropy[j]);
        sums[i] = sum;
    }

    /// <summary>Round-off can leave equal maps a hair below zero.</summary>
    private static double Divergence(ReadOnlySpan<float> p, ReadOnlySpan<float> q, double ip, double iq, double entropies)
    {
        double cross = 0;
        for (int k = 0; k < p.Length; k++)
        {
            double s = p[k] * ip + q[k] * iq;
            if (s > 0) cross += s * Math.Log(2 / s);
        }
        return Math.Max(0, (entropies + cross) / 2);
    }

    /// <summary>A row's sum, and sum p ln p of the row normalized by it.</summary>
    private static (double sum, double plogp) Row(ReadOnlySpan<float> row, int index)
    {
        double sum = 0;
        foreach (float v in row)
        {
            if (!(v >= 0)) throw new ArgumentException($"Jensen-Shannon divergence needs non-negative maps; map {index} holds {v}.");
            sum += v;
        }
        if (sum == 0) throw new ArgumentException($"Jensen-Shannon divergence: map {index} is all zeros, not a distribution.");
        double e = 0;
        foreach (float v in row)
            if (v > 0)
            {
                double p = v / sum;
                e += p * Math.Log(p);
            }
        return (sum, e);
    }
}
