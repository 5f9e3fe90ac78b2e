using ContextNets.Autograd;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Detection;

/// <summary>
/// F.RoiAlign against the float64 reference: forward and backward, with boxes inside, across and outside the map,
/// narrower than a pixel and on a second image; the reference's own backward against finite differences.
/// </summary>
public class RoiAlignTests
{
    private static readonly double[][] Boxes =
    [
        [0, 1.3, 2.1, 9.7, 8.4],
        [1, -3.0, -2.5, 4.2, 3.3],
        [1, 10.2, 11.0, 10.5, 11.2],
        [0, 0, 0, 24, 20],
        [1, 20.5, 1.0, 40.0, 6.0],
    ];

    [Theory]
    [InlineData(0.5, 2, false)]
    [InlineData(0.25, 2, false)]
    [InlineData(0.5, 0, false)]
    [InlineData(0.5, 2, true)]
    public void ForwardAndBackwardMatchTheReference(double scale, int ratio, bool aligned)
    {
        var x = RefTensor.Random([2, 3, 11, 13], 5);
        var gy = RefTensor.Random([Boxes.Length, 3, 4, 4], 6);
        using var s = Tensor.Scope();
        var xt = x.ToTensor();
        xt.RequiresGrad = true;
        var rois = Tensor.FromArray(Boxes.SelectMany(b => b.Select(v => (float)v)).ToArray(), Boxes.Length, 5);
        var y = F.RoiAlign(xt, rois, (4, 4), (float)scale, ratio, aligned);
        F.Sum(F.Mul(y, gy.ToTensor())).Backward();

        var expected = RefRoiAlign.Forward(x, Boxes, 4, scale, ratio, aligned);
        var expectedGrad = RefRoiAlign.Backward(x.Shape, gy, Boxes, 4, scale, ratio, aligned);
        Check.Close(expected, y, 1e-5, 1e-6, "roi_align forward");
        Check.Close(expectedGrad, xt.Grad!, 1e-5, 1e-6, "roi_align backward");
        Assert.True(expected.Data.Any(v => v != 0), "the boxes pool nothing");
    }

    [Fact]
    public void ReferenceGradientMatchesFiniteDifferences()
    {
        var x = RefTensor.Random([2, 2, 9, 10], 3);
        var gy = RefTensor.Random([Boxes.Length, 2, 3, 3], 4);
        var analytic = RefRoiAlign.Backward(x.Shape, gy, Boxes, 3, 0.5, 2, false);
        GradCheck.Verify(v => RefRoiAlign.Forward(v[0], Boxes, 3, 0.5, 2, false), [x], gy, [analytic], "roi_align", maxSamples: 180);
    }

    [Fact]
    public void ABoxOfAnImageOutsideTheBatchIsRefused()
    {
        using var s = Tensor.Scope();
        var rois = Tensor.FromArray([2f, 0, 0, 4, 4], 1, 5);
        var error = Assert.Throws<ArgumentException>(() => F.RoiAlign(Tensor.Zeros([2, 1, 8, 8]), rois, (2, 2), 1f, 2));
        Assert.Contains("names image 2", error.Message);
    }

    [Fact]
    public void NoBoxesPoolToAnEmptyTensor()
    {
        using var s = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var y = F.RoiAlign(Tensor.Zeros([1, 4, 8, 8]), Tensor.Zeros([0, 5]), (7, 7), 0.25f, 2);
        Assert.Equal(new Shape(0, 4, 7, 7), y.Shape);
    }
}
