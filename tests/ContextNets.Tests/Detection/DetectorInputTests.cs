using ContextNets.Detection;

namespace ContextNets.Tests.Detection;

/// <summary>
/// The detector on awkward input: an odd-sized image runs and gives boxes inside it and masks at its size; an image
/// of the wrong shape is refused with the shape named; no detection at all gives empty outputs of the right ranks.
/// A ResNet-18 body at small sizes keeps this quick.
/// </summary>
public class DetectorInputTests
{
    private static MaskRcnn Small(float scoreThreshold = 0.05f)
    {
        var model = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, new DetectorSettings
        {
            MinSize = 48, MaxSize = 64, BoxScoreThreshold = scoreThreshold,
            // Fewer proposals and detections than torchvision's 1000 and 100: the box and mask heads on an untrained
            // detector's hundreds of boxes were most of this class's time, and none of its checks needs them.
            RpnPreNmsTopNTest = 200, RpnPostNmsTopNTest = 100, BoxDetectionsPerImage = 20,
        });
        model.Eval();
        return model;
    }

    [Fact]
    public void AnOddSizedImageGivesBoxesInsideItAndMasksAtItsSize()
    {
        using var model = Small();
        using var scope = Tensor.Scope();
        using var outputs = model.Run(Tensor.Uniform([3, 37, 53], 3));
        var boxes = outputs["boxes"];
        int k = boxes.Shape[0];
        Assert.True(k > 0, "an untrained detector at score 0.05 over 3 classes finds something");
        Assert.Equal(new Shape(k, 1, 37, 53), outputs["masks"].Shape);
        Assert.Equal(new Shape(k), outputs["labels"].Shape);
        var b = boxes.ToArray();
        for (int i = 0; i < k; i++)
        {
            Assert.InRange(b[4 * i], 0f, 53f);
            Assert.InRange(b[4 * i + 2], b[4 * i], 53f);
            Assert.InRange(b[4 * i + 1], 0f, 37f);
            Assert.InRange(b[4 * i + 3], b[4 * i + 1], 37f);
        }
        Assert.All(outputs["labels"].ToArray(), l => Assert.InRange(l, 1f, 2f));
    }

    [Fact]
    public void AnImageOfTheWrongShapeIsRefusedWithItsShape()
    {
        using var model = Small();
        using var scope = Tensor.Scope();
        var error = Assert.Throws<ArgumentException>(() => model.Run(Tensor.Zeros([1, 3, 32, 32])));
        Assert.Contains("[3, H, W]", error.Message);
        Assert.Contains("[1, 3, 32, 32]", error.Message);
    }

    [Fact]
    public void NoDetectionsGiveEmptyOutputs()
    {
        using var model = Small(scoreThreshold: 1f);
        using var scope = Tensor.Scope();
        using var outputs = model.Run(Tensor.Uniform([3, 40, 40], 4));
        Assert.Equal(new Shape(0, 4), outputs["boxes"].Shape);
        Assert.Equal(new Shape(0), outputs["scores"].Shape);
        Assert.Equal(new Shape(0, 1, 40, 40), outputs["masks"].Shape);
    }
}
