using ContextNets.Data;
using ContextNets.Data.Scenes;

namespace ContextNets.Tests.Data;

/// <summary>
/// The generated scenes: deterministic by (seed, split, index) alone, boxes tight around the masks, masks disjoint,
/// and the semantic map exactly the union of the masks with their classes. The items are a small synthetic IDX set
/// (filled ellipses of random sizes), so the tests need no installed dataset.
/// </summary>
public class SceneTests
{
    private static readonly IdxDataset Items = SyntheticItems(40);

    private static IdxDataset SyntheticItems(int count)
    {
        var rng = new Rng(7);
        var pixels = new byte[count * 28 * 28];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 10);
            double rx = rng.Uniform(4, 13), ry = rng.Uniform(4, 13);
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                {
                    double d = Math.Pow((x - 13.5) / rx, 2) + Math.Pow((y - 13.5) / ry, 2);
                    pixels[i * 784 + y * 28 + x] = d < 1 ? (byte)(120 + rng.NextInt(136)) : (byte)0;
                }
        }
        return new IdxDataset(new IdxImages(count, 28, 28, pixels), labels, FashionMnist.ClassNames, "synthetic");
    }

    [Fact]
    public void ASceneDependsOnSeedSplitAndIndexAlone()
    {
        var a = new SceneGenerator(Items, Split.Train, seed: 3);
        var b = new SceneGenerator(Items, Split.Train, seed: 3);
        var later = b.Generate(5);
        _ = b.Generate(2);
        var first = a.Generate(5);
        Assert.Equal(first.Image.Pixels, later.Image.Pixels);
        Assert.Equal(first.Semantic, later.Semantic);
        Assert.Equal(first.Items.Select(i => (i.Label, i.X1, i.Y1, i.X2, i.Y2, i.SourceIndex)), later.Items.Select(i => (i.Label, i.X1, i.Y1, i.X2, i.Y2, i.SourceIndex)));
        Assert.NotEqual(first.Image.Pixels, new SceneGenerator(Items, Split.Train, seed: 4).Generate(5).Image.Pixels);
        Assert.NotEqual(first.Image.Pixels, new SceneGenerator(Items, Split.Test, seed: 3).Generate(5).Image.Pixels);
        Assert.NotEqual(first.Image.Pixels, a.Generate(6).Image.Pixels);
    }

    [Fact]
    public void BoxesAreTightAroundDisjointMasksAndTheSemanticMapIsTheirUnion()
    {
        var generator = new SceneGenerator(Items, Split.Train, seed: 1);
        int size = generator.Options.Size, items = 0;
        for (int index = 0; index < 12; index++)
        {
            var scene = generator.Generate(index);
            Assert.Equal(size, scene.Size);
            Assert.InRange(scene.Items.Count, 0, 6);
            var expectedSemantic = new byte[size * size];
            foreach (var item in scene.Items)
            {
                items++;
                Assert.InRange(item.Label, 0, 9);
                int x1 = size, y1 = size, x2 = -1, y2 = -1, pixels = 0;
                for (int p = 0; p < item.Mask.Length; p++)
                {
                    if (item.Mask[p] == 0) continue;
                    Assert.Equal(1, item.Mask[p]);
                    Assert.Equal(0, expectedSemantic[p]);
                    expectedSemantic[p] = (byte)(item.Label + 1);
                    pixels++;
                    (x1, y1, x2, y2) = (Math.Min(x1, p % size), Math.Min(y1, p / size), Math.Max(x2, p % size), Math.Max(y2, p / size));
                }
                Assert.True(pixels >= generator.Options.MinVisiblePixels);
                Assert.Equal((x1, y1, x2 + 1, y2 + 1), ((int)item.X1, (int)item.Y1, (int)item.X2, (int)item.Y2));
                Assert.InRange(item.X2 - item.X1, 1, 112);
                Assert.InRange(item.Y2 - item.Y1, 1, 112);
            }
            Assert.Equal(expectedSemantic, scene.Semantic);
        }
        Assert.True(items >= 12, $"12 scenes gave only {items} items.");
    }

    [Theory]
    [InlineData(16, 1, 6, 28, 112)]
    [InlineData(256, 3, 2, 28, 112)]
    [InlineData(256, 1, 6, 28, 300)]
    [InlineData(256, 1, 6, 0, 112)]
    public void BadOptionsAreRefused(int size, int minItems, int maxItems, int minScale, int maxScale)
    {
        var options = new SceneOptions { Size = size, MinItems = minItems, MaxItems = maxItems, MinScale = minScale, MaxScale = maxScale };
        var e = Assert.Throws<ArgumentException>(() => new SceneGenerator(Items, Split.Train, 0, options));
        Assert.StartsWith("Scenes:", e.Message, StringComparison.Ordinal);
    }
}
