using ContextNets.Backend.Managed;

namespace ContextNets.Tests.Backend;

/// <summary>The float64 GEMM of the non-local block's exact path against a plain triple loop.</summary>
public unsafe class DoubleGemmTests
{
    // Sizes that leave remainders in the 4-row tile, the vector strip and its scalar tail.
    [Theory]
    [InlineData(1, 7, 13, 19, false, false)]
    [InlineData(3, 9, 5, 37, true, false)]
    [InlineData(2, 6, 11, 20, false, true)]
    [InlineData(2, 33, 64, 40, true, true)]
    public void MatchesThePlainLoop(int batch, int m, int k, int n, bool transposeA, bool transposeB)
    {
        var rng = new Random(m * 1000 + n);
        // float32 values, as the block feeds it: their products are exact in float64.
        double[] Values(int count) => Enumerable.Range(0, count).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();
        var a = Values(batch * m * k);
        var b = Values(batch * k * n);
        var c = new double[batch * m * n];
        fixed (double* pa = a, pb = b, pc = c)
        {
            // A stored [m, k] or, transposed, [k, m]; likewise B.
            var ma = transposeA ? DoubleMat.Batched(pa, batch, k, m, m, (long)m * k).T() : DoubleMat.Batched(pa, batch, m, k, k, (long)m * k);
            var mb = transposeB ? DoubleMat.Batched(pb, batch, n, k, k, (long)k * n).T() : DoubleMat.Batched(pb, batch, k, n, n, (long)k * n);
            DoubleGemm.Multiply(ma, mb, DoubleMat.Batched(pc, batch, m, n, n, (long)m * n));
        }
        for (int s = 0; s < batch; s++)
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double expected = 0, magnitude = 0;
            for (int p = 0; p < k; p++)
            {
                double av = transposeA ? a[s * m * k + p * m + i] : a[s * m * k + i * k + p];
                double bv = transposeB ? b[s * k * n + j * k + p] : b[s * k * n + p * n + j];
                expected += av * bv;
                magnitude += Math.Abs(av * bv);
            }
            double actual = c[(s * m + i) * n + j];
            Assert.True(Math.Abs(actual - expected) <= k * 1.2e-16 * magnitude, $"[{s},{i},{j}]: {actual:R}, expected {expected:R}");
        }
    }
}
