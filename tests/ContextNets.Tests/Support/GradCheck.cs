using ContextNets.Tests.Reference;

namespace ContextNets.Tests.Support;

/// <summary>
/// Central finite differences in float64 on the reference path: the
/// gradient of L = sum(f(inputs) * gy) with respect to each input element,
/// compared with the reference's analytic backward.
/// </summary>
internal static class GradCheck
{
    public static void Verify(Func<RefTensor[], RefTensor> f, RefTensor[] inputs, RefTensor gy, RefTensor?[] analytic,
        string what, double h = 1e-6, double tol = 1e-6, int maxSamples = 60, int seed = 1)
    {
        var rng = new Random(seed);
        for (int k = 0; k < inputs.Length; k++)
        {
            if (analytic[k] is not { } grad) continue;
            var x = inputs[k];
            Assert.True(grad.Shape.SequenceEqual(x.Shape), $"{what}: analytic gradient {k} has shape {Shape.Format(grad.Shape)}, input {Shape.Format(x.Shape)}");
            int samples = Math.Min(maxSamples, x.Length);
            for (int s = 0; s < samples; s++)
            {
                int i = samples == x.Length ? s : rng.Next(x.Length);
                double keep = x.Data[i];
                x.Data[i] = keep + h;
                double up = f(inputs).Dot(gy);
                x.Data[i] = keep - h;
                double down = f(inputs).Dot(gy);
                x.Data[i] = keep;
                double numeric = (up - down) / (2 * h);
                double err = Math.Abs(numeric - grad.Data[i]);
                Assert.True(err <= tol * (1 + Math.Abs(numeric)),
                    $"{what}: d/d input{k}[{i}] analytic {grad.Data[i]:G10}, finite difference {numeric:G10}");
            }
        }
    }
}
