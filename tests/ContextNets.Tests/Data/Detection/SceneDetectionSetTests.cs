using ContextNets.Data;
using ContextNets.Data.Detection;
using ContextNets.Data.Scenes;

namespace ContextNets.Tests.Data.Detection;

/// <summary>Generated scenes as detection examples: every visible item an object, labels shifted past the background.</summary>
public class SceneDetectionSetTests
{
    [Fact]
    public void EachVisibleItemIsAnObjectWithItsBoxMaskAndClass()
    {
        var pixels = new byte[20 * 784];
        var labels = new byte[20];
        for (int i = 0; i < 20; i++)
        {
            labels[i] = (byte)(i % 10);
            for (int y = 4 + i % 5; y < 24; y++)
                for (int x = 6; x < 22 + i % 3; x++) pixels[i * 784 + y * 28 + x] = 200;
        }
        var items = new IdxDataset(new IdxImages(20, 28, 28, pixels), labels, FashionMnist.ClassNames, "synthetic");
        var scenes = new SceneSet(new SceneGenerator(items, Split.Train, seed: 2), 6);
        var set = new SceneDetectionSet(scenes);
        Assert.Equal(11, set.ClassNames.Count);
        Assert.Equal("background", set.ClassNames[0]);
        int objects = 0;
        for (int i = 0; i < set.Count; i++)
        {
            var example = set[i];
            var scene = scenes[i];
            var t = example.Target;
            Assert.Equal((256, 256), (t.Height, t.Width));
            Assert.Equal(scene.Image.Pixels, example.Image.Pixels);
            Assert.Equal(scene.Items.Select(item => item.Label + 1), t.Labels);
            for (int k = 0; k < t.Count; k++)
            {
                var item = scene.Items[k];
                Assert.Equal([item.X1, item.Y1, item.X2, item.Y2], t.Boxes[(4 * k)..(4 * k + 4)]);
                Assert.Equal(item.Mask, t.Masks[(k * 65536)..((k + 1) * 65536)]);
            }
            objects += t.Count;
            var image = example.ToTensor();
            Assert.Equal(new Shape(3, 256, 256), image.Shape);
            Assert.Equal(scene.Image[100, 50, 1] / 255f, image.ToArray()[(256 + 100) * 256 + 50]);
            image.Dispose();
        }
        Assert.True(objects >= 6, $"6 scenes held only {objects} objects.");
    }
}
