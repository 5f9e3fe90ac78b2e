namespace ContextNets.Attention;

/// <summary>
/// The facet the pairwise-map analysis asks of a block whose attention is a map per query ([N, Np, Np'],
/// <see cref="AttentionKind.Pairwise"/>): its pairwise function, and the features the map relates (its input and
/// its context), kept on request alongside the map.
/// </summary>
internal interface IPairwiseFeatures : IAttentionSource
{
    /// <summary>The pairwise function f, which tells whether the maps are distributions (softmax) or not.</summary>
    Pairwise Mode { get; }

    /// <summary>When true, Forward keeps <see cref="LastInput"/> and <see cref="LastContext"/>.</summary>
    bool CaptureFeatures { get; set; }

    /// <summary>The input of the last forward as a channels-last map [N, C, H', W].</summary>
    Tensor? LastInput { get; }

    /// <summary>The context of the last forward (before the output transform) as a channels-last map [N, inner, H', W].</summary>
    Tensor? LastContext { get; }
}
