namespace ContextNets.Tests.Ops;

/// <summary>
/// Bilinear upsampling with align_corners False, on cases worked by hand from PyTorch's rule (source index
/// (i + 0.5) * in / out - 0.5, clamped below at 0, the upper neighbour clamped to the edge), and its gradient as the
/// transpose of the same weights.
/// </summary>
public class UpsampleBilinearTests
{
    [Fact]
    public void TwoToFourMatchesTheHandWorkedWeights()
    {
        using var scope = Tensor.Scope();
        // Along one axis, 2 -> 4: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (upper neighbour clamped): weights of
        // the upper pixel 0, 0.25, 0.75, 0.25 (with both taps 1 for the last).
        var x = Tensor.FromArray([1f, 3f, 5f, 7f], 1, 1, 2, 2);
        var y = F.UpsampleBilinear(x, 4, 4).ToArray();
        float[] row0 = [1f, 1.5f, 2.5f, 3f], row3 = [5f, 5.5f, 6.5f, 7f];
        Assert.Equal(row0, y[..4]);
        Assert.Equal([2f, 2.5f, 3.5f, 4f], y[4..8]);
        Assert.Equal([4f, 4.5f, 5.5f, 6f], y[8..12]);
        Assert.Equal(row3, y[12..]);
    }

    [Fact]
    public void FromOnePixelItBroadcasts()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([2f, -1f], 1, 2, 1, 1);
        var y = F.UpsampleBilinear(x, 3, 2).ToArray();
        Assert.Equal([2f, 2f, 2f, 2f, 2f, 2f, -1f, -1f, -1f, -1f, -1f, -1f], y);
    }

    [Fact]
    public void TheGradientIsTheTransposeOfTheForwardWeights()
    {
        using var scope = Tensor.Scope();
        // <gy, up(x)> = <down(gy), x> for all x, so feeding unit vectors e_k gives grad_x[k] = sum over outputs of gy * weight.
        var x = Tensor.FromArray([0.3f, -1.2f, 2f, 0.7f, 1.1f, -0.4f], 1, 1, 2, 3);
        x.RequiresGrad = true;
        var y = F.UpsampleBilinear(x, 5, 4);
        var gy = Enumerable.Range(0, 20).Select(i => MathF.Sin(i + 1f)).ToArray();
        F.Sum(F.Mul(y, Tensor.FromArray(gy, 1, 1, 5, 4))).Backward();
        var grad = x.Grad!.ToArray();
        for (int k = 0; k < 6; k++)
        {
            var unit = new float[6];
            unit[k] = 1f;
            var column = F.UpsampleBilinear(Tensor.FromArray(unit, 1, 1, 2, 3), 5, 4).ToArray();
            double expected = column.Select((w, i) => (double)w * gy[i]).Sum();
            Assert.Equal(expected, grad[k], 5);
        }
    }
}
