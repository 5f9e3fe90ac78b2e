namespace ContextNets.Data.Segmentation;

/// <summary>
/// One split of a segmentation dataset on disk, VOC/ADE20K style:
/// <code>
/// ROOT/classes.txt              one class name per line, index 0 first (e.g. background)
/// ROOT/SPLIT/images/NAME.jpg    PNG or JPEG images
/// ROOT/SPLIT/labels/NAME.png    8-bit gray or palette PNGs of the same size: class index per pixel, 255 = ignore
/// </code>
/// An image and its label map share a file stem. Opening the split checks all of it before any training starts:
/// every image has its label map and every label map its image, the sizes agree (read from the image headers), every
/// label map decodes and holds only known class indices or 255. Each problem is a one-line
/// <see cref="InvalidDataException"/> naming the file. Images are decoded when asked for.
/// </summary>
public sealed class LabelMapFolder : ISegmentationSet
{
    public const string ClassFile = "classes.txt", ImagesFolder = "images", LabelsFolder = "labels";

    /// <summary>The most classes a label map can index: 0..254, since 255 means ignore.</summary>
    public const int MaxClasses = LabeledImage.Ignore;

    private readonly string[] _images;
    private readonly string[] _labels;

    /// <param name="root">The dataset's folder (holding <see cref="ClassFile"/> and the split folders).</param>
    /// <param name="split">The split's folder name, e.g. train or val.</param>
    /// <param name="classes">The class names (<see cref="ReadClasses"/>); labels must be below their count.</param>
    public LabelMapFolder(string root, string split, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        string folder = Path.Combine(root, split);
        if (!Directory.Exists(folder))
            throw new DatasetNotFoundException($"The segmentation data {root} has no {split}/ folder: it needs {split}/{ImagesFolder}/ and {split}/{LabelsFolder}/ (see docs/segmentation.md).", null);
        var images = FilesByStem(Path.Combine(folder, ImagesFolder), ImageFolder.Extensions);
        var labels = FilesByStem(Path.Combine(folder, LabelsFolder), [".png"]);
        if (images.Count == 0) throw new InvalidDataException($"{Path.Combine(folder, ImagesFolder)} holds no PNG or JPEG images.");
        foreach (var stem in images.Keys.Where(s => !labels.ContainsKey(s)))
            throw new InvalidDataException($"{images[stem]} has no label map: {Path.Combine(folder, LabelsFolder, stem + ".png")} is missing.");
        foreach (var stem in labels.Keys.Where(s => !images.ContainsKey(s)))
            throw new InvalidDataException($"{labels[stem]} has no image: no {stem}.png, .jpg or .jpeg in {Path.Combine(folder, ImagesFolder)}.");
        var stems = images.Keys.Order(StringComparer.Ordinal).ToArray();
        Root = root;
        Split = split;
        Classes = classes;
        _images = [.. stems.Select(s => images[s])];
        _labels = [.. stems.Select(s => labels[s])];
        for (int i = 0; i < stems.Length; i++) CheckPair(i);
    }

    public string Root { get; }
    public string Split { get; }
    public IReadOnlyList<string> Classes { get; }
    public int Count => _images.Length;

    public LabeledImage this[int index]
    {
        get
        {
            var image = ImageDecoder.Load(_images[index], 3);
            return new LabeledImage(image, Labels(index, image.Width, image.Height));
        }
    }

    /// <summary>
    /// The class names of the dataset at <paramref name="root"/>: the lines of its classes.txt, trimmed, with blank
    /// lines at the end left out. At least 2 and at most <see cref="MaxClasses"/> distinct, non-empty names.
    /// </summary>
    public static string[] ReadClasses(string root)
    {
        string path = Path.Combine(root, ClassFile);
        if (!Directory.Exists(root)) throw new DatasetNotFoundException($"The segmentation data folder {root} does not exist.", null);
        if (!File.Exists(path)) throw new InvalidDataException($"{path} is missing: the segmentation data needs its class list, one name per line (index 0 first).");
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Reverse().SkipWhile(l => l.Length == 0).Reverse().ToArray();
        int blank = Array.FindIndex(names, n => n.Length == 0);
        if (blank >= 0) throw new InvalidDataException($"{path}: line {blank + 1} is blank; every class index needs a name.");
        if (names.Length < 2 || names.Length > MaxClasses)
            throw new InvalidDataException($"{path} names {names.Length} classes; a label map indexes 2 to {MaxClasses} (255 means ignore).");
        var twice = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidDataException($"{path} names the class '{twice.Key}' twice.");
        return names;
    }

    private void CheckPair(int index)
    {
        var (width, height) = ImageDecoder.ReadSize(_images[index]);
        _ = Labels(index, width, height);
    }

    /// <summary>The label map of image <paramref name="index"/>, checked against the image's size and the classes.</summary>
    private byte[] Labels(int index, int width, int height)
    {
        string path = _labels[index];
        var (labels, w, h) = LabelMapPng.Load(path);
        if ((w, h) != (width, height))
            throw new InvalidDataException($"{path} is {w}x{h} but its image {_images[index]} is {width}x{height}; a label map has its image's size.");
        for (int p = 0; p < labels.Length; p++)
            if (labels[p] >= Classes.Count && labels[p] != LabeledImage.Ignore)
                throw new InvalidDataException(
                    $"{path} has the label {labels[p]} at ({p % w}, {p / w}), but {Path.Combine(Root, ClassFile)} names {Classes.Count} classes (0..{Classes.Count - 1}; 255 = ignore).");
        return labels;
    }

    private static Dictionary<string, string> FilesByStem(string folder, IReadOnlyList<string> extensions)
    {
        if (!Directory.Exists(folder)) throw new DatasetNotFoundException($"The segmentation data has no folder {folder}.", null);
        var byStem = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder).Where(f => extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal))
        {
            string stem = Path.GetFileNameWithoutExtension(file);
            if (!byStem.TryAdd(stem, file)) throw new InvalidDataException($"{folder} holds two files named {stem} ({Path.GetFileName(byStem[stem])} and {Path.GetFileName(file)}); which one is meant is unclear.");
        }
        return byStem;
    }
}
