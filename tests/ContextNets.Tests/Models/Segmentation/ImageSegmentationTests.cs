using ContextNets.Data;
using ContextNets.Data.Transforms;
using ContextNets.Models.Segmentation;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Models.Segmentation;

/// <summary>The in-process path of `ctxnet segment`: the class map's size, VOC's colours, the overlay, and memory flat over many calls.</summary>
/// The pool's byte count is the process's: the class runs alone so that no other test's tensors move it.
[Collection(PoolCollection.Name)]
public class ImageSegmentationTests
{
    [Fact]
    public void ColoursAreVocs()
    {
        Assert.Equal([0, 0, 0], ImageSegmentation.Colour(0));
        Assert.Equal([128, 0, 0], ImageSegmentation.Colour(1));
        Assert.Equal([0, 128, 0], ImageSegmentation.Colour(2));
        Assert.Equal([128, 128, 128], ImageSegmentation.Colour(7));
        Assert.Equal([64, 0, 0], ImageSegmentation.Colour(8));
        Assert.Equal([192, 128, 128], ImageSegmentation.Colour(15));
    }

    [Fact]
    public void TheOverlayBlendsObjectsAndKeepsTheBackground()
    {
        var image = new Image8(2, 1, 3, [100, 100, 100, 100, 100, 100]);
        var overlay = ImageSegmentation.Overlay(image, [0, 1], opacity: 0.5);
        Assert.Equal([100, 100, 100, 114, 50, 50], overlay.Pixels);
    }

    [Fact]
    public void MemoryStaysFlatOverManyCalls()
    {
        using var model = Segmenters.Create("fcn_resnet18", classes: 3, outputStride: 16, seed: 1);
        model.Eval();
        var image = new Image8(45, 37, 3);
        var rng = new Rng(3);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)rng.NextInt(256);
        long steady = 0;
        for (int call = 1; call <= 300; call++)
        {
            var map = ImageSegmentation.ClassMap(model, image, 32, Normalize.ImageNet);
            Assert.Equal(45 * 37, map.Length);
            Assert.All(map, c => Assert.True(c < 3));
            // The first calls fill the pool and the weights' reorder cache; after that nothing may grow.
            if (call == 10) steady = BufferPool.LiveBytes;
            if (call > 10) Assert.Equal(steady, BufferPool.LiveBytes);
        }
    }
}
