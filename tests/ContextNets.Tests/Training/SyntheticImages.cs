using ContextNets.Data;
using ContextNets.Data.Transforms;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>
/// A learnable in-memory dataset: 8x8 RGB images of noise in which class k brightens one of five regions,
/// so that a small net's loss falls within a few epochs.
/// </summary>
internal sealed class SyntheticImages : IDataset
{
    public const int Size = 8, ClassCount = 5;
    private readonly Image8[] _images;
    private readonly int[] _labels;

    public SyntheticImages(int count, ulong seed)
    {
        var rng = new ContextNets.Rng(seed);
        _images = new Image8[count];
        _labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % ClassCount;
            var img = new Image8(Size, Size, 3);
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        bool lit = label switch { 0 => y < 4 && x < 4, 1 => y < 4 && x >= 4, 2 => y >= 4 && x < 4, 3 => y >= 4 && x >= 4, _ => c == 2 };
                        img[y, x, c] = (byte)Math.Clamp((lit ? 160 : 60) + rng.NextInt(60) - 30, 0, 255);
                    }
            _images[i] = img;
            _labels[i] = label;
        }
    }

    public int Count => _images.Length;
    public IReadOnlyList<string> Classes { get; } = ["a", "b", "c", "d", "e"];
    public int Label(int index) => _labels[index];
    public Image8 Image(int index) => _images[index].Clone();

    public static readonly Normalize Normalize = new([0.4f, 0.4f, 0.4f], [0.25f, 0.25f, 0.25f]);

    /// <summary>Training batches of 8 with a random flip (so the augmentation's randomness is part of what a resume must repeat), and the test batches.</summary>
    public static (DataLoader train, DataLoader test) Loaders(long seed = 7) =>
        (new DataLoader(new SyntheticImages(64, 1), new RandomHorizontalFlip(), Normalize, new LoaderOptions { BatchSize = 8, Seed = seed, DropLast = true }),
         new DataLoader(new SyntheticImages(20, 2), null, Normalize, new LoaderOptions { BatchSize = 16, Shuffle = false }));

    public static TrainerOptions Options(int epochs) => new()
    {
        Epochs = epochs,
        Lr = 0.05,
        WarmupEpochs = 1,
        WeightDecay = 1e-3,
        LabelSmoothing = 0.1f,
        ClipNorm = 5,
    };
}
