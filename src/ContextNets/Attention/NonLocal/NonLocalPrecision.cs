using System.Numerics.Tensors;

namespace ContextNets.Attention;

/// <summary>
/// When the softmax of a non-local block needs float64. The float32 logits theta_i . phi_j carry an absolute error
/// of a few units of 2^-24 times |theta_i| |phi_j| (the GEMM's sums round at that scale), and after the logit scale
/// s that error shifts the softmax, its backward (a (gf - sum a gf), which cancels for nearly one-hot rows) and all
/// the gradients behind it. So the bound M = s max_i |theta_i| max_j |phi_j| (which also bounds every |s logit|)
/// measures the float32 error of the whole block.
///
/// Measured on float64 PyTorch vectors (docs/architecture.md, "Exactness"): blocks with M up to 34 meet rtol 1e-4
/// in float32; M = 57 misses by 1.3x, and M = 470 by 30x. There the result is not even fixed by the float32 data to
/// 1e-4: rounding x and the weights once more moves the float64 result by as much. Above <see cref="Float32Limit"/>
/// the block runs in float64 (<see cref="NonLocalExact"/>), which treats the float32 values as exact. A block at
/// init (weights N(0, 0.01)) has M near 1, and use_scale divides M by sqrt(inner), so float32 stays the usual path.
/// </summary>
internal static unsafe class NonLocalPrecision
{
    /// <summary>The largest M computed in float32; half the M where float32 was first seen to miss.</summary>
    public const double Float32Limit = 32;

    /// <summary>M for theta [queries, K] and phi [keys, K] rows, with the logit scale.</summary>
    public static double LogitBound(Rows theta, long queries, Rows phi, long keys, double scale) =>
        scale * Math.Sqrt(LargestSquaredNorm(theta, queries)) * Math.Sqrt(LargestSquaredNorm(phi, keys));

    private static double LargestSquaredNorm(Rows m, long rows)
    {
        double largest = 0;
        for (long r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(m.Row(r), m.Width);
            largest = Math.Max(largest, TensorPrimitives.Dot(row, row));
        }
        return largest;
    }
}
