namespace ContextNets.Data.Detection;

/// <summary>
/// A detection set split in two for training and validation: a seeded shuffle of its indices, the first
/// round(fraction x count) for validation (at least one, and at least one left to train on), each part in index
/// order. The same (count, fraction, seed) always gives the same split.
/// </summary>
public static class DetectionSplit
{
    /// <summary>The Rng stream of the split, apart from every other draw of a run.</summary>
    private const long Stream = 11;

    public static (IDetectionSet Train, IDetectionSet Val) Split(IDetectionSet set, double valFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (!(valFraction is > 0 and < 1)) throw new ArgumentException($"A validation fraction is in (0, 1), not {valFraction}.");
        if (set.Count < 2) throw new ArgumentException($"A set of {set.Count} image(s) cannot be split into training and validation images: it needs two at least.");
        var order = Enumerable.Range(0, set.Count).ToArray();
        Rng.For(seed, Stream).Shuffle(order.AsSpan());
        int val = Math.Clamp((int)Math.Round(valFraction * set.Count), 1, set.Count - 1);
        return (new Part(set, [.. order[val..].Order()]), new Part(set, [.. order[..val].Order()]));
    }

    private sealed class Part(IDetectionSet set, int[] indices) : IDetectionSet
    {
        public int Count => indices.Length;
        public IReadOnlyList<string> ClassNames => set.ClassNames;
        public DetectionExample this[int index] => set[indices[index]];
    }
}
