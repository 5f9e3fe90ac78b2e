namespace ContextNets.Data;

/// <summary>
/// A folder of images with one subfolder per class, as torchvision's
/// ImageFolder reads it: the class names are the subfolder names in sorted
/// (ordinal) order, and a class's images are found in its folder and the
/// folders below it, directory by directory in sorted order. PNG and JPEG
/// files count (by extension, any case); other files are skipped and
/// counted. Hidden folders (a name starting with '.') are not classes.
/// Images are decoded when asked for, so a corrupt file fails then, naming itself.
/// </summary>
public sealed class ImageFolder : IDataset
{
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg"];

    private readonly string[] _paths;
    private readonly int[] _labels;

    /// <param name="root">The folder that holds one subfolder per class.</param>
    /// <param name="channels">3 for RGB (gray files are repeated), 1 for gray (color files are converted with PIL's luma).</param>
    public ImageFolder(string root, int channels = 3)
    {
        if (channels != 1 && channels != 3) throw new ArgumentException($"An image folder is read as 1 or 3 channels, not {channels}.");
        if (!Directory.Exists(root)) throw new DatasetNotFoundException($"The image folder {root} does not exist.", null);
        Root = root;
        Channels = channels;
        var classDirs = Directory.GetDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal)
            .ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"The image folder {root} has no class subfolders: put each class's images in a folder of its own (root/CLASS/IMAGE.png).");
        var paths = new List<string>();
        var labels = new List<int>();
        int skipped = 0;
        for (int label = 0; label < classDirs.Length; label++)
        {
            int before = paths.Count;
            foreach (var file in FilesInOrder(classDirs[label]))
            {
                if (IsImage(file))
                {
                    paths.Add(file);
                    labels.Add(label);
                }
                else skipped++;
            }
            if (paths.Count == before)
                throw new InvalidDataException(
                    $"The class folder '{Path.GetFileName(classDirs[label])}' ({classDirs[label]}) has no PNG or JPEG images; every class needs at least one, or remove the folder.");
        }
        Classes = classDirs.Select(Path.GetFileName).ToArray()!;
        _paths = paths.ToArray();
        _labels = labels.ToArray();
        SkippedFiles = skipped;
    }

    public string Root { get; }
    public int Channels { get; }
    public IReadOnlyList<string> Classes { get; }
    public int Count => _paths.Length;

    /// <summary>Files in the class folders that are not PNG or JPEG by their extension, and were left out.</summary>
    public int SkippedFiles { get; }

    public string Summary =>
        $"{Count} images in {Classes.Count} classes under {Root}" + (SkippedFiles > 0 ? $"; {SkippedFiles} other files were ignored" : "");

    public string PathOf(int index) => _paths[index];

    public int Label(int index) => _labels[index];

    public Image8 Image(int index) => ImageDecoder.Load(_paths[index], Channels);

    public static bool IsImage(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public override string ToString() => Summary;

    // torchvision walks a class folder with sorted(os.walk(...)) and sorts the names in each directory; this is that order.
    private static IEnumerable<string> FilesInOrder(string dir)
    {
        var dirs = new List<string> { dir };
        dirs.AddRange(Directory.EnumerateDirectories(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }));
        dirs.Sort(StringComparer.Ordinal);
        foreach (var d in dirs)
            foreach (var f in Directory.GetFiles(d).OrderBy(f => f, StringComparer.Ordinal))
                yield return f;
    }
}
