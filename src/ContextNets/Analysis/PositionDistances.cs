namespace ContextNets.Analysis;

/// <summary>
/// The GCNet measurements per image of a batch: the mean distance over all pairs of positions i &lt; j between
/// the attention maps of the queries (a non-local block's [N, Np, Np'] map, row i the map of query i), or between
/// the feature vectors of the positions of a map [N, C, H, W].
/// </summary>
public static class PositionDistances
{
    /// <summary>The mean cosine distance between the query maps of each image of attention [N, Np, Np'].</summary>
    public static double[] AttentionCosine(Tensor attention) => PerImage(attention, "AttentionCosine", CosineDistance.MeanOverPairs);

    /// <summary>The mean Jensen-Shannon divergence between the query maps of each image of attention [N, Np, Np'].</summary>
    public static double[] AttentionJensenShannon(Tensor attention) => PerImage(attention, "AttentionJensenShannon", JensenShannon.MeanOverPairs);

    /// <summary>The mean cosine distance between the C-vectors of the H*W positions of each image of features [N, C, H, W], in either layout.</summary>
    public static double[] FeatureCosine(Tensor features)
    {
        if (features.Rank != 4) throw new ArgumentException($"FeatureCosine expects features [N, C, H, W], got {features.Shape}.");
        var s = features.Shape;
        // Channels-last memory is [N, H*W, C]: one row per position.
        using var rows = F.Materialize(features, MemoryFormat.ChannelsLast);
        return PerImage(rows, s[0], s[2] * s[3], s[1], CosineDistance.MeanOverPairs);
    }

    private delegate double PairMean(ReadOnlySpan<float> rows, int count, int dim);

    private static double[] PerImage(Tensor attention, string what, PairMean mean)
    {
        if (attention.Rank != 3) throw new ArgumentException($"{what} expects attention [N, Np, Np'], got {attention.Shape}.");
        using var rows = F.Materialize(attention, MemoryFormat.Contiguous);
        return PerImage(rows, attention.Shape[0], attention.Shape[1], attention.Shape[2], mean);
    }

    private static double[] PerImage(Tensor rows, int n, int count, int dim, PairMean mean)
    {
        var result = new double[n];
        int size = count * dim;
        for (int i = 0; i < n; i++) result[i] = mean(rows.Span.Slice(i * size, size), count, dim);
        return result;
    }
}
