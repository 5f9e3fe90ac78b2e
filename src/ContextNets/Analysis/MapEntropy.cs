namespace ContextNets.Analysis;

/// <summary>
/// How spread an attention map is: its entropy over ln of its size, from 0 (all weight on one position) to 1
/// (uniform). Maps that are the same for every query can be merely uniform (an untrained block's are) or focused
/// on some region (a learned global context); this tells the two apart.
/// </summary>
public static class MapEntropy
{
    /// <summary>The mean normalized entropy of the rows of a row-major [count, dim] matrix of non-negative maps (each normalized to sum 1).</summary>
    public static double MeanNormalized(ReadOnlySpan<float> maps, int count, int dim)
    {
        if (count < 1 || dim < 2 || (long)count * dim != maps.Length)
            throw new ArgumentException($"MapEntropy: {maps.Length} values as [{count}, {dim}] maps; it needs at least one map of at least 2 values.");
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            var row = maps.Slice(i * dim, dim);
            double sum = 0;
            foreach (float v in row)
            {
                if (!(v >= 0)) throw new ArgumentException($"MapEntropy needs non-negative maps; map {i} holds {v}.");
                sum += v;
            }
            if (sum == 0) throw new ArgumentException($"MapEntropy: map {i} is all zeros, not a distribution.");
            double h = 0;
            foreach (float v in row)
                if (v > 0) h -= v / sum * Math.Log(v / sum);
            total += h;
        }
        // Round-off can lift a uniform map a hair above ln(dim).
        return Math.Min(1, total / count / Math.Log(dim));
    }

    /// <summary>Per image: the mean over queries of attention [N, Np, Np'], or the one map of pooling weights [N, H*W].</summary>
    public static double[] PerImage(Tensor maps)
    {
        if (maps.Rank is not (2 or 3)) throw new ArgumentException($"MapEntropy.PerImage expects maps [N, Np, Np'] or [N, H*W], got {maps.Shape}.");
        int n = maps.Shape[0], count = maps.Rank == 3 ? maps.Shape[1] : 1, dim = maps.Shape[maps.Rank - 1];
        using var rows = F.Materialize(maps, MemoryFormat.Contiguous);
        var result = new double[n];
        for (int i = 0; i < n; i++) result[i] = MeanNormalized(rows.Span.Slice(i * count * dim, count * dim), count, dim);
        return result;
    }
}
