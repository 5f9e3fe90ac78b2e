using ContextNets.Models;

namespace ContextNets.Attention;

/// <summary>
/// The cost terms the context blocks (GC, SNL, SE) share, per sample of an input [N, C, H, W] with P = H W positions,
/// in the terms of <see cref="OpCount"/>. Products that reduce over positions or channels (1x1 convs, attention
/// pooling) are multiply-adds; gating, fusion and normalization are elementwise.
/// </summary>
internal static class ContextCosts
{
    /// <summary>Per-sample counts times the batch of <paramref name="x"/>.</summary>
    public static OpCount PerBatch(Shape x, OpCount perSample) => new(x[0] * perSample.Macs, x[0] * perSample.OtherOps);

    /// <summary>The positions P of an input [N, C, H, W].</summary>
    public static long Positions(Shape x) => (long)x[2] * x[3];

    /// <summary>conv_attn (C -> 1 with bias) at every position, the softmax over positions, and the weighted sum of x.</summary>
    public static OpCount AttentionPool(long c, long p) => new(c * p + c * p, p + 3 * p);

    public static OpCount Pooled(long c, long p) => new(0, c * p);

    /// <summary>fc1 (C -> rd), [LayerNorm], fc2 (rd -> C), with biases, on the pooled vector.</summary>
    public static OpCount Mlp(long c, long rd, bool norm) => new(2 * c * rd, rd + c + (norm ? 5 * rd : 0));
}
