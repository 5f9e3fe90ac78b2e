using System.Numerics.Tensors;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Batch normalization over a channels-last map seen as a row-major matrix [rows = N H W, C], split by rows between
/// threads. oneDNN 2.6's bnorm_jit splits a channels-last map by channels, and with two threads on 64 channels it ran
/// 25 times slower than with one (8x64x56x56: 16 ms against 0.65 ms), which made BatchNorm the largest cost of a
/// ResNet training step. Sums run in float over blocks of rows and are added in double.
/// </summary>
internal static unsafe class BatchNormKernels
{
    private const int BlockRows = 64;

    /// <summary>The per-channel mean and biased variance (two passes: the mean, then the squared deviations from it).</summary>
    public static void Statistics(float* x, int rows, int c, Span<float> mean, Span<float> variance)
    {
        var sums = RowSums(rows, c, (begin, end, acc, _) =>
        {
            for (int r = begin; r < end; r++) TensorPrimitives.Add(acc, Row(x, r, c), acc);
        }, 1);
        for (int k = 0; k < c; k++) mean[k] = (float)(sums[0][k] / rows);
        var m = mean.ToArray();
        var squares = RowSums(rows, c, (begin, end, acc, tmp) =>
        {
            for (int r = begin; r < end; r++)
            {
                TensorPrimitives.Subtract(Row(x, r, c), m, tmp);
                TensorPrimitives.MultiplyAdd(tmp, tmp, acc, acc);
            }
        }, 1);
        for (int k = 0; k < c; k++) variance[k] = (float)(squares[0][k] / rows);
    }

    /// <summary>y = x a + b per channel (x and y may be the same memory).</summary>
    public static void Affine(float* x, float* y, int rows, int c, float[] a, float[] b) =>
        Par.For(rows, c, (begin, end) =>
        {
            for (int r = begin; r < end; r++) TensorPrimitives.MultiplyAdd(Row(x, r, c), a, b, new Span<float>(y + (long)r * c, c));
        });

    /// <summary>Per channel: the sum of gy, and the sum of gy (x - mean).</summary>
    public static (double[] sumGy, double[] sumGyCentered) GradientSums(float* x, float* gy, int rows, int c, float[] mean)
    {
        var sums = RowSums(rows, c, (begin, end, acc, tmp, acc2) =>
        {
            for (int r = begin; r < end; r++)
            {
                var g = Row(gy, r, c);
                TensorPrimitives.Add(acc, g, acc);
                TensorPrimitives.Subtract(Row(x, r, c), mean, tmp);
                TensorPrimitives.MultiplyAdd(tmp, g, acc2, acc2);
            }
        });
        return (sums[0], sums[1]);
    }

    /// <summary>gx = gy a + x b + d per channel.</summary>
    public static void GradientApply(float* x, float* gy, float* gx, int rows, int c, float[] a, float[] b, float[] d) =>
        Par.For(rows, 2 * c, (begin, end) =>
        {
            var tmp = new float[c];
            for (int r = begin; r < end; r++)
            {
                TensorPrimitives.MultiplyAdd(Row(x, r, c), b, d, tmp);
                TensorPrimitives.MultiplyAdd(Row(gy, r, c), a, tmp, new Span<float>(gx + (long)r * c, c));
            }
        });

    private static ReadOnlySpan<float> Row(float* p, int r, int c) => new(p + (long)r * c, c);

    private delegate void Accumulate(int begin, int end, Span<float> acc, Span<float> tmp);

    private delegate void Accumulate2(int begin, int end, Span<float> acc, Span<float> tmp, Span<float> acc2);

    private static double[][] RowSums(int rows, int c, Accumulate body, int outputs) =>
        RowSums(rows, c, (begin, end, acc, tmp, _) => body(begin, end, acc, tmp), outputs);

    private static double[][] RowSums(int rows, int c, Accumulate2 body, int outputs = 2)
    {
        // Each thread's sums, added in row order afterwards, so that the result does not depend on which finished first.
        var parts = new System.Collections.Concurrent.ConcurrentDictionary<int, double[][]>();
        Par.For(rows, c, (begin, end) =>
        {
            var local = new double[outputs][];
            for (int o = 0; o < outputs; o++) local[o] = new double[c];
            var acc = new float[c];
            var acc2 = new float[c];
            var tmp = new float[c];
            for (int start = begin; start < end; start += BlockRows)
            {
                Array.Clear(acc);
                Array.Clear(acc2);
                body(start, Math.Min(end, start + BlockRows), acc, tmp, acc2);
                for (int k = 0; k < c; k++) local[0][k] += acc[k];
                if (outputs > 1) for (int k = 0; k < c; k++) local[1][k] += acc2[k];
            }
            parts[begin] = local;
        });
        var total = new double[outputs][];
        for (int o = 0; o < outputs; o++) total[o] = new double[c];
        foreach (var (_, local) in parts.OrderBy(p => p.Key))
            for (int o = 0; o < outputs; o++)
                for (int k = 0; k < c; k++) total[o][k] += local[o][k];
        return total;
    }
}
