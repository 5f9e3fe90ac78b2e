using ContextNets.Data;
using ContextNets.Data.Clips;
using ContextNets.Data.Transforms;

namespace ContextNets.Cli;

/// <summary>
/// The clips of a video run: the generated moving-item clips (Fashion-MNIST items shrunk to 14 pixels on a 48-pixel
/// canvas, 8 frames; training clips from the training images with generator seed 1, test clips from the test images
/// with seed 2), or a clip folder split into train/ and val/ (one subfolder per class in each). A clip folder without
/// val/ (root/CLASS/CLIP, or train/ alone) holds its test clips out as image folders do (<see cref="Subset.SplitIndices"/>:
/// every 10th clip of each class in name order, counting back from its last), the same clips whatever the seed.
/// </summary>
internal sealed record VideoData(IClipSource Train, IClipSource Test, string Description)
{
    public const string Generated = "moving-fashion-mnist";

    /// <summary>The generated clips' item side (Fashion-MNIST's 28 halved) and canvas: the canvas must hold three items.</summary>
    public const int ItemSide = 14, GeneratedSide = 48, GeneratedFrames = 8;

    /// <summary>torchvision's video models' Kinetics statistics, for RGB clip folders.</summary>
    private static readonly Normalize Kinetics = new([0.43216f, 0.394666f, 0.37645f], [0.22803f, 0.22145f, 0.216989f]);

    public static bool IsGenerated(string data) => data == Generated;

    /// <summary>The normalization of new runs on <paramref name="data"/> with <paramref name="channels"/> channels.</summary>
    public static Normalize NormalizeFor(string data, int channels) =>
        IsGenerated(data) || channels == 1 ? Normalize.Unit(channels) : Kinetics;

    public static VideoData Of(VideoRunConfig c)
    {
        var normalize = new Normalize(c.Mean, c.Std);
        if (IsGenerated(c.Data))
        {
            var train = new MovingItemClips(new ShrunkItems(FashionMnist.Load(Split.Train)), c.GeneratedClips, seed: 1, c.Frames, GeneratedSide);
            var test = new MovingItemClips(new ShrunkItems(FashionMnist.Load(Split.Test)), Math.Max(1, c.GeneratedClips / 4), seed: 2, c.Frames, GeneratedSide);
            return new(new GeneratedClips(train), new GeneratedClips(test),
                $"{train.Count} training and {test.Count} test moving-item clips ({c.Frames} frames, {GeneratedSide}x{GeneratedSide}, Fashion-MNIST items at {ItemSide} px)");
        }
        string trainDir = Path.Combine(c.Data, "train"), valDir = Path.Combine(c.Data, "val");
        if (!Directory.Exists(valDir)) return HeldOut(Directory.Exists(trainDir) ? trainDir : c.Data, c, normalize);
        var trainClips = new FolderClips(new ClipFolder(trainDir), new ClipSampler(c.Frames, c.Stride, c.Size, train: true, normalize));
        var valFolder = new ClipFolder(valDir);
        if (!valFolder.Classes.SequenceEqual(((IClipSource)trainClips).Classes))
            throw new CliException($"The classes of {valDir} [{string.Join(", ", valFolder.Classes)}] are not those of {trainDir} [{string.Join(", ", trainClips.Classes)}].");
        var valClips = new FolderClips(valFolder, new ClipSampler(c.Frames, c.Stride, c.Size, train: false, normalize));
        return new(trainClips, valClips, $"training: {trainClips}; test: {valClips}");
    }

    /// <summary>One clip folder, every 10th clip of each class held out for testing and sampled as test clips are.</summary>
    private static VideoData HeldOut(string root, VideoRunConfig c, Normalize normalize)
    {
        var folder = new ClipFolder(root);
        var (train, held) = Subset.SplitIndices(folder.Count, folder.Label);
        if (held.Length == 0)
            throw new CliException($"{root} has too few clips to hold a test set out (every class has one clip): add clips, or give {c.Data}/train and {c.Data}/val.");
        var trainClips = new ClipSubset(new FolderClips(folder, new ClipSampler(c.Frames, c.Stride, c.Size, train: true, normalize)), train);
        var testClips = new ClipSubset(new FolderClips(folder, new ClipSampler(c.Frames, c.Stride, c.Size, train: false, normalize)), held);
        return new(trainClips, testClips, $"{folder.Summary}; {held.Length} of them held out for testing (every 10th of each class)");
    }

    /// <summary>The classes and channels of <paramref name="data"/>, read before a run's config exists.</summary>
    public static (string[] classes, int channels) Describe(string data)
    {
        if (IsGenerated(data)) return ([.. FashionMnist.ClassNames], 1);
        if (!Directory.Exists(data))
            throw new CliException($"--data {data} is neither '{Generated}' nor a clip folder (CLASS/CLIP/FRAME.png, or train/ and val/ of those).");
        var train = Path.Combine(data, "train");
        return ([.. new ClipFolder(Directory.Exists(train) ? train : data).Classes], 3);
    }

    /// <summary>Items shrunk so that two of them move apart on a small canvas.</summary>
    private sealed class ShrunkItems(IDataset items) : IDataset
    {
        public int Count => items.Count;
        public IReadOnlyList<string> Classes => items.Classes;
        public int Label(int index) => items.Label(index);
        public Image8 Image(int index) => Resize.Run(items.Image(index), ItemSide, ItemSide);
    }
}
