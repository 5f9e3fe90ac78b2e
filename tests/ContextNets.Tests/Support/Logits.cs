using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.Models;
using Xunit.Abstractions;

namespace ContextNets.Tests.Support;

/// <summary>
/// The parity tests' one measure: max |ours - theirs| as a fraction of max |theirs| over all logits, with the
/// reference required to be non-degenerate (max |logit| above 0.1), so that a tiny scale cannot hide an error.
/// </summary>
internal static class Logits
{
    public const double Tolerance = 1e-4;

    public static double MaxRelativeError(float[] expected, float[] actual, out int at, out double scale)
    {
        Assert.Equal(expected.Length, actual.Length);
        scale = expected.Max(v => Math.Abs((double)v));
        double worst = 0;
        at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs((double)actual[i] - expected[i]);
            if (err > worst) (worst, at) = (err, i);
        }
        return worst / scale;
    }

    /// <summary>Asserts the logits match PyTorch's within <paramref name="tolerance"/> and logs the error as "<paramref name="what"/>: ...".</summary>
    public static void AssertClose(ITestOutputHelper output, string what, float[] expected, float[] actual, double tolerance = Tolerance)
    {
        double error = MaxRelativeError(expected, actual, out int at, out double scale);
        output.WriteLine($"{what}: max error {error:G3} of the logits' scale {scale:G4}");
        Assert.True(scale > 0.1, $"{what}: the reference logits are degenerate (max |logit| {scale:G3}).");
        Assert.True(error <= tolerance,
            $"{what}: logit {at} is {actual[at]:G9}, PyTorch {expected[at]:G9}; max error {error:G3} of the logits' scale {scale:G4} (tolerance {tolerance:G2}).");
    }
    /// <summary>
    /// A case file's `x` through the loaded model twice, the eval forward and the folded inference model
    /// (<see cref="ResNet.Prepare"/>), each against its `logits`.
    /// </summary>
    public static void AssertModelMatches(ITestOutputHelper output, string name, ResNet model, string caseFile)
    {
        model.Eval();
        using var inference = model.Prepare();
        var file = SafetensorsFile.Read(caseFile);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = file.Load("x");
        var expected = file.Load("logits").ToArray();
        AssertClose(output, $"{name} eval forward", expected, model.Forward(F.ToFormat(x, MemoryFormat.ChannelsLast)).ToArray());
        AssertClose(output, $"{name} folded Predict", expected, inference.Predict(x).ToArray());
    }
}
