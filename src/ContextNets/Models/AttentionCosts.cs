using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// The operations of the attention blocks on an input [N, C, H, W], in the terms of <see cref="OpCount"/>, from the
/// math each block computes (DESIGN.md), with P = H W positions. Products that reduce over positions or channels
/// (1x1 convs, attention pooling, the non-local pairwise products) are multiply-adds; gating, fusion and
/// normalization are elementwise.
/// </summary>
internal static class AttentionCosts
{
    public static OpCount Of(Module block, Shape x)
    {
        long n = x[0], c = x[1], p = (long)x[2] * x[3];
        var per = block switch
        {
            GlobalContext gc => GlobalContext(gc, c, p),
            SqueezeExcite se => Pooled(c, p) + Mlp(c, se.ReducedChannels, norm: false) + new OpCount(0, c + c * p),
            SimplifiedNonLocal => AttentionPool(c, p) + new OpCount(c * c, c) + new OpCount(0, c * p),
            NonLocal nl => NonLocal(nl, x),
            _ => throw new ArgumentException($"No cost formula for {block.GetType().Name}."),
        };
        return new OpCount(n * per.Macs, n * per.OtherOps);
    }

    /// <summary>
    /// A radix gate over R maps of C channels and P positions (split attention, selective kernel), apart from its fc
    /// layers: the sum of the splits, the global pool, the softmax over R (a sigmoid when R is 1), the weighted sum.
    /// </summary>
    public static OpCount RadixGate(long n, long r, long c, long p) =>
        new(0, n * ((r - 1) * c * p + c * p + (r > 1 ? 3 * r * c : c) + (2 * r - 1) * c * p));

    private static OpCount GlobalContext(GlobalContext gc, long c, long p)
    {
        var ops = gc.Pooling == ContextPooling.Attention ? AttentionPool(c, p) : Pooled(c, p);
        long rd = gc.ReducedChannels;
        if (gc.MlpScale is not null) ops += Mlp(c, rd, norm: true) + new OpCount(0, c + c * p);
        if (gc.MlpAdd is not null) ops += Mlp(c, rd, norm: true) + new OpCount(0, c * p);
        return ops;
    }

    // conv_attn (C -> 1 with bias) at every position, the softmax over positions, and the weighted sum of x.
    private static OpCount AttentionPool(long c, long p) => new(c * p + c * p, p + 3 * p);

    private static OpCount Pooled(long c, long p) => new(0, c * p);

    // fc1 (C -> rd), [LayerNorm], fc2 (rd -> C), with biases, on the pooled vector.
    private static OpCount Mlp(long c, long rd, bool norm) => new(2 * c * rd, rd + c + (norm ? 5 * rd : 0));

    private static OpCount NonLocal(NonLocal nl, Shape x)
    {
        long c = x[1], p = (long)x[2] * x[3], inner = nl.Inner;
        long pooled = nl.SubSample ? (long)(x[2] / 2) * (x[3] / 2) : p;
        bool gaussian = nl.Mode == Pairwise.Gaussian;
        long k = gaussian ? c : inner;
        long projections = gaussian ? 1 : 3;
        long macs = projections * c * inner * p;
        long other = projections * inner * p;
        // Sub-sampling max-pools phi (x itself in gaussian mode) and g over 2x2 windows.
        if (nl.SubSample) other += 4 * (k + inner) * pooled;
        if (nl.Mode == Pairwise.Concatenation)
        {
            // w . [theta_i, phi_j] = w_theta . theta_i + w_phi . phi_j: one product per query and per key, a sum per pair, then / Np'.
            macs += k * (p + pooled);
            other += 2 * p * pooled;
        }
        else
        {
            macs += p * pooled * k;
            other += nl.Mode == Pairwise.DotProduct ? p * pooled : 3 * p * pooled + (nl.UseScale ? p * pooled : 0);
        }
        macs += p * pooled * inner + inner * c * p;
        other += (nl.ConvOut.Bias is null ? 0 : c * p) + (nl.Norm is null ? 0 : 2 * c * p) + c * p;
        return new OpCount(macs, other);
    }
}
