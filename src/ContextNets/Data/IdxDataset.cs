namespace ContextNets.Data;

/// <summary>A dataset of same-sized gray images held in memory, as the IDX files of MNIST and Fashion-MNIST give them.</summary>
public sealed class IdxDataset : IDataset
{
    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    public IdxDataset(IdxImages images, byte[] labels, IReadOnlyList<string> classes, string name)
    {
        if (images.Count != labels.Length)
            throw new InvalidDataException($"{name}: {images.Count} images but {labels.Length} labels; the image and label files do not belong together.");
        if (images.Count == 0) throw new InvalidDataException($"{name}: the files hold no images.");
        _pixels = images.Pixels;
        _labels = labels;
        Rows = images.Rows;
        Cols = images.Cols;
        Classes = classes;
        Name = name;
    }

    /// <summary>Reads an image file and a label file (plain or .gz) and checks that they agree.</summary>
    public static IdxDataset Load(string imagesPath, string labelsPath, IReadOnlyList<string> classes)
    {
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath, classes.Count);
        if (images.Count != labels.Length)
            throw new InvalidDataException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels; they must be the same count.");
        return new IdxDataset(images, labels, classes, Path.GetFileName(imagesPath));
    }

    public string Name { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int Count => _labels.Length;
    public IReadOnlyList<string> Classes { get; }

    public int Label(int index) => _labels[index];

    public Image8 Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"Sample {index} is outside [0, {Count}).");
        int size = Rows * Cols;
        return new Image8(Cols, Rows, 1, _pixels.AsSpan(index * size, size).ToArray());
    }

    public override string ToString() => $"{Name}: {Count} images of {Cols}x{Rows}, {Classes.Count} classes";
}
