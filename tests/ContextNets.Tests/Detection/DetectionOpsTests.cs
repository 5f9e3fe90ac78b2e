using ContextNets.NN;

namespace ContextNets.Tests.Detection;

/// <summary>
/// The detector's other new ops: nearest upsampling, row indexing and the 2x2 transposed conv, each against a plain
/// loop for the forward. All three are linear in each input, so a backward is right exactly when it is the forward's
/// adjoint: sum(f(x) * gy) = sum(x * grad x) for any gy, which is what finite differences would measure, without
/// their rounding.
/// </summary>
public class DetectionOpsTests
{
    [Fact]
    public void NearestUpsamplingReadsFloorOfTheScaledIndexAndItsBackwardIsTheAdjoint()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Uniform([2, 3, 3, 5], 1, -1, 1);
        x.RequiresGrad = true;
        var y = F.UpsampleNearest(x, 7, 8);
        var xs = x.ToArray();
        var ys = y.ToArray();
        for (int p = 0; p < 6; p++)
            for (int i = 0; i < 7; i++)
                for (int j = 0; j < 8; j++)
                    Assert.Equal(xs[(p * 3 + Math.Min(i * 3 / 7, 2)) * 5 + Math.Min(j * 5 / 8, 4)], ys[(p * 7 + i) * 8 + j]);
        AssertAdjoint(x, y, Tensor.Uniform(y.Shape, 2, -1, 1));
    }

    [Fact]
    public void RowIndexingPicksRowsWithRepeatsAndAddsTheirGradients()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Uniform([4, 3], 3, -1, 1);
        x.RequiresGrad = true;
        var y = F.IndexRows(x, [2, 0, 2]);
        var xs = x.ToArray();
        Assert.Equal(xs[6..9].Concat(xs[0..3]).Concat(xs[6..9]), y.ToArray());
        AssertAdjoint(x, y, Tensor.Uniform(y.Shape, 4, -1, 1));
        Assert.Throws<ArgumentException>(() => F.IndexRows(x, [4]));
    }

    [Fact]
    public void TransposedConvWritesOneBlockPerPixelAndItsGradientsAreAdjoints()
    {
        using var scope = Tensor.Scope();
        ConvTranspose2d Built()
        {
            // Seeded, so that the weights do not depend on what this thread built before.
            using var seeded = Initializers.Seeded(7);
            return new ConvTranspose2d(3, 2, 2);
        }
        using var conv = Built();
        var x = Tensor.Uniform([2, 3, 2, 3], 5, -1, 1);
        x.RequiresGrad = true;
        var y = conv.Forward(x);
        Assert.Equal(new Shape(2, 2, 4, 6), y.Shape);
        var xs = x.ToArray();
        var w = conv.Weight.ToArray();
        var b = conv.Bias.ToArray();
        var ys = y.ToArray();
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 2; o++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 6; j++)
                    {
                        double expected = b[o], magnitude = Math.Abs(b[o]);
                        for (int c = 0; c < 3; c++)
                        {
                            double term = (double)xs[((n * 3 + c) * 2 + i / 2) * 3 + j / 2] * w[((c * 2 + o) * 2 + i % 2) * 2 + j % 2];
                            expected += term;
                            magnitude += Math.Abs(term);
                        }
                        // A float32 sum of 3 products and a bias, in any order: within gamma_4 = 4u / (1 - 4u) of the
                        // magnitudes (u = 2^-24), plus the rounding of the result.
                        double u = Math.Pow(2, -24), bound = 4 * u / (1 - 4 * u) * magnitude + u * Math.Abs(expected);
                        double actual = ys[((n * 2 + o) * 4 + i) * 6 + j];
                        Assert.True(Math.Abs(actual - expected) <= bound, $"y[{n},{o},{i},{j}] = {actual}, the float64 sum is {expected} (bound {bound:G3})");
                    }
        var gy = Tensor.Uniform(y.Shape, 6, -1, 1);
        F.Sum(F.Mul(y, gy)).Backward();
        // y - bias is linear in x and in the weight: both gradients must give back sum((y - bias) * gy).
        var g = gy.ToArray();
        double withoutBias = 0, biasPart = 0;
        for (int k = 0; k < ys.Length; k++)
        {
            withoutBias += (ys[k] - b[k / 24 % 2]) * g[k];
            biasPart += g[k];
        }
        Assert.Equal(withoutBias, Dot(x.ToArray(), x.Grad!.ToArray()), 3);
        Assert.Equal(withoutBias, Dot(w, conv.Weight.Grad!.ToArray()), 3);
        Assert.Equal(biasPart, conv.Bias.Grad!.ToArray().Sum(), 3);
    }

    private static void AssertAdjoint(Tensor x, Tensor y, Tensor gy)
    {
        F.Sum(F.Mul(y, gy)).Backward();
        Assert.Equal(Dot(y.ToArray(), gy.ToArray()), Dot(x.ToArray(), x.Grad!.ToArray()), 4);
    }

    private static double Dot(float[] a, float[] b) => a.Zip(b, (u, v) => (double)u * v).Sum();
}
