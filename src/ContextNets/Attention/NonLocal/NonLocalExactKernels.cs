using System.Numerics.Tensors;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// The row-wise and element-wise parts of <see cref="NonLocalExact"/> in float64: the softmax with its backward,
/// the sub-sampling max pooling with its inverse, and column sums. Each row or column is summed by one thread in a
/// fixed order, so that nothing depends on the thread count.
/// </summary>
internal static unsafe class NonLocalExactKernels
{
    /// <summary>Each row of s [rows, cols] becomes softmax(scale * row), in place.</summary>
    public static void Softmax(double* s, int rows, int cols, double scale) =>
        Par.For(rows, cols * 4L, (begin, end) =>
        {
            for (int r = begin; r < end; r++)
            {
                var row = new Span<double>(s + (long)r * cols, cols);
                double max = TensorPrimitives.Max<double>(row);
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Multiply(row, scale, row);
                TensorPrimitives.Exp<double>(row, row);
                TensorPrimitives.Multiply(row, 1.0 / TensorPrimitives.Sum<double>(row), row);
            }
        });

    /// <summary>g = scale * a * (g - sum(a * g)) per row, in place: the softmax backward from its output a.</summary>
    public static void SoftmaxBackward(double* a, double* g, int rows, int cols, double scale) =>
        Par.For(rows, cols * 4L, (begin, end) =>
        {
            for (int r = begin; r < end; r++)
            {
                var ar = new ReadOnlySpan<double>(a + (long)r * cols, cols);
                var gr = new Span<double>(g + (long)r * cols, cols);
                TensorPrimitives.Subtract(gr, TensorPrimitives.Dot(ar, gr), gr);
                TensorPrimitives.Multiply(gr, ar, gr);
                TensorPrimitives.Multiply(gr, scale, gr);
            }
        });

    /// <summary>
    /// dst[q, c] = the max of src[., c] over the window of pooled row q, and from[q * width + c] the source row of the
    /// first maximum, as the float32 path's <see cref="NonLocalKernels.MaxPool"/> picks it.
    /// </summary>
    public static void MaxPool(double* src, long srcLd, double* dst, long dstLd, int width, long[] from, FramePooling g)
    {
        int oh = g.OutH, ow = g.OutW;
        for (int f = 0; f < g.Frames; f++)
        for (int a = 0; a < oh; a++)
        for (int b = 0; b < ow; b++)
        {
            long q = ((long)f * oh + a) * ow + b;
            for (int c = 0; c < width; c++)
            {
                double best = double.NegativeInfinity;
                long at = -1;
                for (int u = 0; u < g.Kh; u++)
                for (int v = 0; v < g.Kw; v++)
                {
                    long r = ((long)f * g.H + a * g.Kh + u) * g.W + b * g.Kw + v;
                    if (at < 0 || src[r * srcLd + c] > best) (best, at) = (src[r * srcLd + c], r);
                }
                dst[q * dstLd + c] = best;
                from[q * width + c] = at;
            }
        }
    }

    /// <summary>The backward of <see cref="MaxPool"/>: each pooled gradient goes to the row it came from; the other rows get 0.</summary>
    public static void MaxUnpool(double* gPooled, long pooledLd, double* dst, long dstLd, int width, long[] from, int rows)
    {
        for (long r = 0; r < rows; r++) new Span<double>(dst + r * dstLd, width).Clear();
        long pooledRows = from.Length / width;
        for (long q = 0; q < pooledRows; q++)
        for (int c = 0; c < width; c++)
            dst[from[q * width + c] * dstLd + c] = gPooled[q * pooledLd + c];
    }

    /// <summary>The sums over the rows of m [rows, width], in order.</summary>
    public static double[] ColumnSums(double[] m, int rows, int width)
    {
        var sums = new double[width];
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, m.AsSpan(r * width, width), sums);
        return sums;
    }
}
