using ContextNets.Detection;
using ContextNets.Detection.Training;

namespace ContextNets.Tests.Detection;

/// <summary>
/// Training on awkward input: an odd-sized image (resized, with its target) and an image without objects give five
/// finite losses and gradients; an object whose mask is empty teaches an all-background mask; degenerate boxes,
/// labels of the background, and masks or targets of the wrong size are refused in one line naming the object.
/// A ResNet-18 body at small sizes keeps this quick.
/// </summary>
public class DetectorTrainingInputTests
{
    private static MaskRcnn Small()
    {
        var model = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, new DetectorSettings
        {
            MinSize = 48, MaxSize = 64,
            // Fewer proposals and sampled RoIs than torchvision's 2000 and 512: the box head's forward and backward
            // on them were most of this class's time, and the checks need only some of each kind.
            RpnPreNmsTopNTrain = 400, RpnPostNmsTopNTrain = 200, BoxBatchSizePerImage = 64,
        }, fromScratch: true);
        model.Train();
        return model;
    }

    private static DetectionTarget Square(int h, int w, float x1, float y1, float x2, float y2, bool emptyMask = false)
    {
        var mask = new byte[h * w];
        if (!emptyMask)
            for (int y = (int)y1; y < (int)y2; y++)
                for (int x = (int)x1; x < (int)x2; x++) mask[y * w + x] = 1;
        return new DetectionTarget([x1, y1, x2, y2], [2], mask, h, w);
    }

    [Fact]
    public void OddSizesEmptyTargetsAndEmptyMasksGiveFiniteLossesAndGradients()
    {
        using var model = Small();
        using var scope = Tensor.Scope();
        Tensor[] images = [Tensor.Uniform([3, 37, 53], 1), Tensor.Uniform([3, 50, 41], 2), Tensor.Uniform([3, 40, 40], 3)];
        DetectionTarget[] targets = [Square(37, 53, 3, 4, 30, 33), new([], [], [], 50, 41), Square(40, 40, 5, 5, 25, 20, emptyMask: true)];
        var losses = model.Losses(images, targets, new DetectionSamplers(model.Settings, seed: 3));
        Assert.All(losses.All, l => Assert.True(float.IsFinite(l.Item()) && l.Item() >= 0, $"a loss is {l.Item()}"));
        Assert.True(losses.Mask.Item() > 0, "the mask loss is positive on an untrained head");
        losses.Total().Backward();
        var trained = model.NamedParameters().Where(p => p.tensor.RequiresGrad).ToList();
        Assert.All(trained, p => Assert.True(p.tensor.Grad is null || p.tensor.Grad.ToArray().All(float.IsFinite), $"{p.name} has a non-finite gradient"));
        Assert.Contains(trained, p => p.name.StartsWith("backbone.body.conv1", StringComparison.Ordinal) && p.tensor.Grad!.ToArray().Any(v => v != 0));
    }

    [Fact]
    public void ABatchWithoutAnyObjectTrainsBackgroundOnly()
    {
        using var model = Small();
        using var scope = Tensor.Scope();
        var losses = model.Losses([Tensor.Uniform([3, 48, 48], 4)], [new([], [], [], 48, 48)], new DetectionSamplers(model.Settings, seed: 3));
        // No foreground: no box or mask regression, as torchvision's losses are then 0.
        Assert.Equal(0f, losses.BoxReg.Item());
        Assert.Equal(0f, losses.RpnBoxReg.Item());
        Assert.Equal(0f, losses.Mask.Item());
        Assert.True(losses.Classifier.Item() > 0 && losses.Objectness.Item() > 0);
    }

    [Theory]
    [InlineData(5f, 5f, 5f, 9f, "degenerate box [5, 5, 5, 9]")]
    [InlineData(5f, 9f, 8f, 2f, "degenerate box [5, 9, 8, 2]")]
    [InlineData(1f, 1f, float.NaN, 4f, "degenerate box")]
    public void DegenerateBoxesAreRefused(float x1, float y1, float x2, float y2, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new DetectionTarget([x1, y1, x2, y2], [1], new byte[100], 10, 10));
        Assert.Contains("Object 0 has a " + message, e.Message);
    }

    [Fact]
    public void MismatchedTargetsAreRefused()
    {
        Assert.Contains("label 0", Assert.Throws<ArgumentException>(() => new DetectionTarget([0, 0, 2, 2], [0], new byte[16], 4, 4)).Message);
        Assert.Contains("4 per object", Assert.Throws<ArgumentException>(() => new DetectionTarget([0, 0, 2], [1], new byte[16], 4, 4)).Message);
        Assert.Contains("not 1 x 4 x 4", Assert.Throws<ArgumentException>(() => new DetectionTarget([0, 0, 2, 2], [1], new byte[15], 4, 4)).Message);
        using var model = Small();
        using var scope = Tensor.Scope();
        var samplers = new DetectionSamplers(model.Settings, seed: 3);
        var e = Assert.Throws<ArgumentException>(() => model.Losses([Tensor.Zeros([3, 8, 8])], [Square(4, 4, 0, 0, 2, 2)], samplers));
        Assert.Contains("Target 0 is for a 4x4 image, but image 0 is 8x8", e.Message);
        Assert.Contains("1 images come with 0 targets", Assert.Throws<ArgumentException>(() => model.Losses([Tensor.Zeros([3, 8, 8])], [], samplers)).Message);
    }
}
