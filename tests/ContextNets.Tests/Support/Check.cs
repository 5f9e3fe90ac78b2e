using ContextNets.Tests.Reference;

namespace ContextNets.Tests.Support;

/// <summary>Comparisons that say where and by how much two results differ.</summary>
internal static class Check
{
    /// <summary>Float32 fast path against the float64 reference: |a - e| &lt;= atol + rtol * |e| everywhere.</summary>
    public static void Close(RefTensor expected, Tensor actual, double rtol = 1e-4, double atol = 1e-5, string what = "result")
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape.Dims.ToArray()),
            $"{what}: shape {actual.Shape}, expected {Shape.Format(expected.Shape)}");
        Close(expected.Data, actual.ToArray(), expected.Shape, rtol, atol, what);
    }

    public static void Close(RefTensor expected, RefTensor actual, double rtol = 1e-4, double atol = 1e-5, string what = "result")
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {Shape.Format(actual.Shape)}, expected {Shape.Format(expected.Shape)}");
        Close(expected.Data, Array.ConvertAll(actual.Data, v => (float)v), expected.Shape, rtol, atol, what, actual.Data);
    }

    private static void Close(double[] e, float[] a, int[] shape, double rtol, double atol, string what, double[]? exact = null)
    {
        Assert.Equal(e.Length, a.Length);
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double ai = exact?[i] ?? a[i];
            double err = Math.Abs(ai - e[i]), allowed = atol + rtol * Math.Abs(e[i]);
            if (double.IsNaN(ai) || err / allowed > worstRatio) { worstRatio = double.IsNaN(ai) ? double.PositiveInfinity : err / allowed; worst = i; }
        }
        if (worstRatio > 1)
            Assert.Fail($"{what} (shape {Shape.Format(shape)}): element {worst} is {exact?[worst] ?? a[worst]:G9}, expected {e[worst]:G9} " +
                        $"(error {worstRatio:F2}x the tolerance rtol={rtol:G2}, atol={atol:G2})");
    }
}
