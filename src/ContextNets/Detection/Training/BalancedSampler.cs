namespace ContextNets.Detection.Training;

/// <summary>
/// torchvision's BalancedPositiveNegativeSampler: of the labelled predictions of one image (label ≥ 1 positive, 0
/// negative, -1 ignored) it draws at most batchSize * positiveFraction positives at random, and fills the rest of
/// the batch with negatives. The draws come from the sampler's own seeded stream, never from a global generator, so
/// a run repeats exactly; they cannot repeat torch's randperm draws.
/// </summary>
public sealed class BalancedSampler(int batchSizePerImage, float positiveFraction, long seed)
{
    private readonly Rng _rng = Rng.For(seed, 0);

    /// <summary>The sampled positive and negative indices, each in increasing order.</summary>
    public (List<int> positives, List<int> negatives) Sample(ReadOnlySpan<int> labels)
    {
        var positive = new List<int>();
        var negative = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= 1) positive.Add(i);
            else if (labels[i] == 0) negative.Add(i);
        }
        int numPositive = Math.Min(positive.Count, (int)(batchSizePerImage * positiveFraction));
        int numNegative = Math.Min(negative.Count, batchSizePerImage - numPositive);
        return (Draw(positive, numPositive), Draw(negative, numNegative));
    }

    /// <summary>A uniform draw of <paramref name="count"/> distinct items (a partial Fisher-Yates shuffle), sorted.</summary>
    private List<int> Draw(List<int> items, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int j = i + _rng.NextInt(items.Count - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
        var drawn = items.GetRange(0, count);
        drawn.Sort();
        return drawn;
    }
}
