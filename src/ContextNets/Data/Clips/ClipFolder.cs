namespace ContextNets.Data.Clips;

/// <summary>
/// A folder of clips with one subfolder per class and one folder of frames per clip (root/CLASS/CLIP/FRAME.png), the
/// layout of frame-extracted Kinetics or UCF-101. Classes are the subfolder names in ordinal order, clips the folders
/// in a class in ordinal order, and a clip's frames its PNG and JPEG files in ordinal order of their names (so name
/// them with zero-padded numbers). Hidden folders and files are skipped. A class without clips, or a clip without
/// frames, is refused here, naming it; frames are decoded only when a sampler asks for them.
/// </summary>
public sealed class ClipFolder
{
    private readonly string[][] _frames;
    private readonly int[] _labels;
    private readonly string[] _clips;

    public ClipFolder(string root)
    {
        if (!Directory.Exists(root)) throw new DatasetNotFoundException($"The clip folder {root} does not exist.", null);
        Root = root;
        var classDirs = Visible(Directory.GetDirectories(root));
        if (classDirs.Length == 0)
            throw new InvalidDataException($"The clip folder {root} has no class subfolders: put each clip's frames in root/CLASS/CLIP/FRAME.png.");
        var frames = new List<string[]>();
        var labels = new List<int>();
        var clips = new List<string>();
        for (int label = 0; label < classDirs.Length; label++)
        {
            var clipDirs = Visible(Directory.GetDirectories(classDirs[label]));
            if (clipDirs.Length == 0)
                throw new InvalidDataException($"The class folder {classDirs[label]} has no clip folders; every class needs at least one clip (CLASS/CLIP/FRAME.png), or remove the folder.");
            foreach (var clip in clipDirs)
            {
                var files = Visible(Directory.GetFiles(clip)).Where(ImageFolder.IsImage).ToArray();
                if (files.Length == 0) throw new InvalidDataException($"The clip folder {clip} has no PNG or JPEG frames.");
                frames.Add(files);
                labels.Add(label);
                clips.Add(clip);
            }
        }
        Classes = classDirs.Select(Path.GetFileName).ToArray()!;
        _frames = [.. frames];
        _labels = [.. labels];
        _clips = [.. clips];
    }

    public string Root { get; }
    public IReadOnlyList<string> Classes { get; }
    public int Count => _clips.Length;

    public int Label(int index) => _labels[index];

    /// <summary>The folder of clip <paramref name="index"/>.</summary>
    public string PathOf(int index) => _clips[index];

    /// <summary>The frame files of clip <paramref name="index"/>, in order.</summary>
    public IReadOnlyList<string> FramesOf(int index) => _frames[index];

    /// <summary>The fewest frames any clip has, and which clip that is.</summary>
    public (int frames, string clip) Shortest()
    {
        int best = 0;
        for (int i = 1; i < _frames.Length; i++) if (_frames[i].Length < _frames[best].Length) best = i;
        return (_frames[best].Length, _clips[best]);
    }

    public string Summary => $"{Count} clips in {Classes.Count} classes under {Root}";

    /// <summary>The frame files of one clip folder given on its own (e.g. to predict), with the same rules.</summary>
    public static string[] FramesIn(string clip)
    {
        if (!Directory.Exists(clip)) throw new DatasetNotFoundException($"The clip folder {clip} does not exist.", null);
        var files = Visible(Directory.GetFiles(clip)).Where(ImageFolder.IsImage).ToArray();
        if (files.Length == 0) throw new InvalidDataException($"The clip folder {clip} has no PNG or JPEG frames.");
        return files;
    }

    private static string[] Visible(string[] paths) =>
        [.. paths.Where(p => !Path.GetFileName(p).StartsWith('.')).OrderBy(p => Path.GetFileName(p), StringComparer.Ordinal)];
}
