namespace ContextNets.Tests.Ops;

/// <summary>
/// The detection losses (binary cross-entropy with logits, mean; smooth-L1, sum) against their textbook formulas in
/// float64, and their gradients against central finite differences of those formulas, including logits far in the
/// saturated range and differences on both sides of beta.
/// </summary>
public class DetectionLossTests
{
    private static readonly float[] Logits = [-31f, -4.5f, -0.7f, 0f, 0.3f, 2.2f, 17f, 40f];
    private static readonly float[] Labels = [0f, 1f, 0f, 1f, 0.25f, 0f, 1f, 0f];

    [Fact]
    public void BinaryCrossEntropyWithLogitsMatchesTheFormulaAndItsFiniteDifferences()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(Logits, 2, 4);
        x.RequiresGrad = true;
        var loss = F.BinaryCrossEntropyWithLogits(x, Labels);
        Assert.Equal(Bce(Logits.Select(v => (double)v).ToArray()), loss.Item(), 1e-5);
        loss.Backward();
        AssertMatchesFiniteDifferences(Logits, x.Grad!.ToArray(), Bce);
    }

    [Fact]
    public void SmoothL1SumMatchesTheFormulaAndItsFiniteDifferences()
    {
        using var scope = Tensor.Scope();
        float[] values = [0.05f, -0.02f, 0.9f, -1.3f, 0.11f, 0.1f, 3f, -0.2f];
        float[] targets = [0f, 0.03f, 0.2f, 0.1f, 0.2f, -0.1f, 2.99f, -0.2f];
        const float beta = 1f / 9;
        var x = Tensor.FromArray(values, 4, 2);
        x.RequiresGrad = true;
        var loss = F.SmoothL1Sum(x, targets, beta);
        double SmoothL1(double[] v) => v.Select((a, i) => Math.Abs(a - targets[i])).Sum(d => d < beta ? 0.5 * d * d / beta : d - 0.5 * beta);
        Assert.Equal(SmoothL1(values.Select(v => (double)v).ToArray()), loss.Item(), 1e-5);
        loss.Backward();
        AssertMatchesFiniteDifferences(values, x.Grad!.ToArray(), SmoothL1);
    }

    [Fact]
    public void EmptyOrMismatchedTargetsAreRefused()
    {
        using var scope = Tensor.Scope();
        Assert.Contains("3 targets", Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros([2]), [0f, 1f, 0f])).Message);
        Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros([0]), []));
        Assert.Contains("beta", Assert.Throws<ArgumentException>(() => F.SmoothL1Sum(Tensor.Zeros([1]), [0f], -1f)).Message);
        Assert.Equal(0f, F.SmoothL1Sum(Tensor.Zeros([0, 4]), [], 0.1f).Item());
    }

    /// <summary>The mean of -(t log σ(x) + (1 - t) log(1 - σ(x))), with log σ written to stay finite for |x| up to 40.</summary>
    private static double Bce(double[] x) =>
        x.Select((v, i) => -(Labels[i] * LogSigmoid(v) + (1 - Labels[i]) * LogSigmoid(-v))).Average();

    private static double LogSigmoid(double v) => v >= 0 ? -Math.Log(1 + Math.Exp(-v)) : v - Math.Log(1 + Math.Exp(v));

    /// <summary>Central differences of the float64 formula at the op's own float32 inputs (step 1e-6).</summary>
    private static void AssertMatchesFiniteDifferences(float[] inputs, float[] analytic, Func<double[], double> formula)
    {
        const double h = 1e-6;
        var x = inputs.Select(v => (double)v).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h;
            double up = formula(x);
            x[i] = keep - h;
            double down = formula(x);
            x[i] = keep;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-5 * (1 + Math.Abs(numeric)), $"d/dx[{i}]: analytic {analytic[i]:G9}, finite difference {numeric:G9}");
        }
    }
}
