namespace ContextNets.Data;

/// <summary>Some samples of a dataset, by index, with the same classes.</summary>
public sealed class Subset : IDataset
{
    private readonly IDataset _source;
    private readonly int[] _indices;

    public Subset(IDataset source, int[] indices)
    {
        foreach (var i in indices)
            if ((uint)i >= (uint)source.Count) throw new ArgumentException($"Subset index {i} is outside the dataset's {source.Count} samples.");
        _source = source;
        _indices = (int[])indices.Clone();
    }

    public int Count => _indices.Length;
    public IReadOnlyList<string> Classes => _source.Classes;
    public int Label(int index) => _source.Label(_indices[index]);
    public Image8 Image(int index) => _source.Image(_indices[index]);

    /// <summary>
    /// A deterministic hold-out split: a class of n samples gives max(1, n / <paramref name="every"/>) of them to the
    /// held-out part, counting back from its last sample in steps of <paramref name="every"/>; a class with a single
    /// sample stays whole in training.
    /// </summary>
    public static (Subset train, Subset heldOut) Split(IDataset source, int every = 10)
    {
        var (train, held) = SplitIndices(source.Count, source.Label, every);
        return (new Subset(source, train), new Subset(source, held));
    }

    /// <summary>The indices of <see cref="Split"/>'s two parts for <paramref name="count"/> samples with these labels, each part in order.</summary>
    public static (int[] train, int[] heldOut) SplitIndices(int count, Func<int, int> label, int every = 10)
    {
        if (every < 2) throw new ArgumentException($"A hold-out split takes every n-th sample with n >= 2, not {every}.");
        var train = new List<int>();
        var held = new List<int>();
        foreach (var group in Enumerable.Range(0, count).GroupBy(label))
        {
            var members = group.ToArray();
            int n = members.Length, take = n < 2 ? 0 : Math.Max(1, n / every);
            var heldPositions = Enumerable.Range(0, take).Select(j => n - 1 - j * every).ToHashSet();
            for (int k = 0; k < n; k++) (heldPositions.Contains(k) ? held : train).Add(members[k]);
        }
        return ([.. train.Order()], [.. held.Order()]);
    }
}
