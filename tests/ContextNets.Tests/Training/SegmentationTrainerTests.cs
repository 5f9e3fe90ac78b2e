using ContextNets.Data;
using ContextNets.Data.Segmentation;
using ContextNets.Models;
using ContextNets.Models.Segmentation;
using ContextNets.NN;
using ContextNets.Training;
using ContextNets.Training.Segmentation;

namespace ContextNets.Tests.Training;

/// <summary>
/// The segmentation loop on a small synthetic set (bright squares on a dark ground): an epoch writes its metrics row and
/// checkpoints, and a run interrupted after its first epoch and resumed ends with the weights of the uninterrupted run,
/// with and without the aux loss (whose head the checkpoints then carry).
/// </summary>
public class SegmentationTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-segtrain-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Squares(int count, int seed) : ISegmentationSet
    {
        public int Count => count;
        public IReadOnlyList<string> Classes => ["ground", "square"];

        public LabeledImage this[int index]
        {
            get
            {
                var rng = Rng.For(seed, 1, index);
                var image = new Image8(40, 40, 3);
                var labels = new byte[40 * 40];
                int side = rng.NextInt(8, 20), top = rng.NextInt(0, 40 - side), left = rng.NextInt(0, 40 - side);
                for (int y = top; y < top + side; y++)
                for (int x = left; x < left + side; x++)
                {
                    labels[y * 40 + x] = 1;
                    for (int c = 0; c < 3; c++) image[y, x, c] = 200;
                }
                return new LabeledImage(image, labels);
            }
        }
    }

    private static readonly SegmentationRecipe Recipe = new()
    {
        Epochs = 2, BatchSize = 4, Lr = 0.01, BaseSize = 40, CropSize = 32, OutputStride = 16, WarmupEpochs = 0.5,
    };

    /// <summary>
    /// An FCN on a ResNet-18 an eighth as wide: the loop is what is tested, and the full-width body's 11M weights made
    /// checkpoints and weight reorders most of this test's time.
    /// </summary>
    private static Segmenter Model(bool aux)
    {
        using var seeded = Initializers.Seeded(3);
        var body = new ResNet((ResNets.ResNet18(numClasses: 0) with { Channels = [8, 16, 32, 64], StemWidth = 8 }).WithOutputStride(16));
        return new Segmenter(body, SegmentationHead.Fcn, classes: 2, aux);
    }

    private static Dictionary<string, float[]> Train(string dir, bool interrupt, bool aux)
    {
        var recipe = Recipe with { AuxLossWeight = aux ? 0.5 : 0 };
        using var model = Model(aux);
        var (train, val) = (new Squares(8, 1), new Squares(4, 2));
        using (var cancel = new CancellationTokenSource())
        using (var first = new SegmentationTrainer(model, train, val, recipe, dir, []) { Report = _ => { if (interrupt) cancel.Cancel(); } })
        {
            if (!interrupt) first.Fit();
            else Assert.Throws<OperationCanceledException>(() => first.Fit(cancel.Token));
        }
        if (interrupt)
        {
            Assert.Equal(1, Checkpoint.ReadState(dir, SegmentationTrainer.Last).Epoch);
            using var again = Model(aux);
            using var resumed = new SegmentationTrainer(again, train, val, recipe, dir, []);
            resumed.Resume();
            Assert.Equal(1, resumed.State.Epoch);
            resumed.Fit();
            return again.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        }
        return model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    private static string[] WithoutSeconds(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, SegmentationTrainer.MetricsFile)).Select(r => r[..r.LastIndexOf(',')])];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AResumedRunEndsWithTheWeightsOfAnUninterruptedOne(bool aux)
    {
        string straight = Path.Combine(_dir, $"straight{aux}"), resumed = Path.Combine(_dir, $"resumed{aux}");
        var a = Train(straight, interrupt: false, aux);
        var b = Train(resumed, interrupt: true, aux);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.Equal(aux, a.Keys.Any(k => k.StartsWith("aux_classifier.", StringComparison.Ordinal)));
        foreach (var key in a.Keys) Assert.True(a[key].SequenceEqual(b[key]), $"{key} differs after resume");
        // The rows agree but for their last column, the seconds the epoch took.
        string[] rows = WithoutSeconds(straight);
        Assert.Equal(3, rows.Length);
        Assert.Equal(rows, WithoutSeconds(resumed));
        Assert.True(Checkpoint.Exists(straight, SegmentationTrainer.Best));
    }

    [Fact]
    public void AnAuxLossWeightNeedsASegmenterWithItsAuxHead()
    {
        using var model = Model(aux: false);
        var e = Assert.Throws<ArgumentException>(() => new SegmentationTrainer(model, new Squares(8, 1), new Squares(4, 2), Recipe with { AuxLossWeight = 0.5 }, _dir, []));
        Assert.Contains("aux head", e.Message, StringComparison.Ordinal);
    }
}
