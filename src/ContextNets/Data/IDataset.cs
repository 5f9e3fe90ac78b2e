namespace ContextNets.Data;

/// <summary>A labelled image dataset: what the loader draws samples from.</summary>
public interface IDataset
{
    int Count { get; }

    /// <summary>The class names; a label is an index into this list.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>The label of sample <paramref name="index"/>, without decoding the image.</summary>
    int Label(int index);

    /// <summary>The image of sample <paramref name="index"/>, decoded: a new image the caller may change. Safe to call from any thread.</summary>
    Image8 Image(int index);
}
