namespace ContextNets.Attention;

/// <summary>
/// A block that can hand back the attention it computed in its last forward
/// (a pairwise map, pooling weights or gate values) for analysis, without
/// running again. The kept tensor is a detached copy owned by the block.
/// </summary>
public interface IAttentionSource
{
    bool CaptureAttention { get; set; }
    Tensor? LastAttention { get; }
}
