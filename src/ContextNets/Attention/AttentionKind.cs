namespace ContextNets.Attention;

/// <summary>What a block's captured attention (<see cref="IAttentionSource.LastAttention"/>) is, for analysis.</summary>
public enum AttentionKind
{
    /// <summary>A map per query position: the non-local block's [N, Np, Np'].</summary>
    Pairwise,

    /// <summary>One map over the positions, shared by every query: SNL's and GC's attention pooling [N, H*W].</summary>
    Pooling,

    /// <summary>Weights without a spatial map: SE's channel gate, split attention's radix weights, GC with average pooling.</summary>
    Gate,
}
