using ContextNets.Models;

namespace ContextNets.Attention;

/// <summary>The cost split attention and selective kernels share, in the terms of <see cref="OpCount"/>.</summary>
internal static class RadixCosts
{
    /// <summary>
    /// A radix gate over R maps of C channels and P positions, apart from its fc layers: the sum of the splits, the
    /// global pool, the softmax over R (a sigmoid when R is 1), the weighted sum.
    /// </summary>
    public static OpCount Gate(long n, long r, long c, long p) =>
        new(0, n * ((r - 1) * c * p + c * p + (r > 1 ? 3 * r * c : c) + (2 * r - 1) * c * p));
}
