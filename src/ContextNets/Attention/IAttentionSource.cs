namespace ContextNets.Attention;

/// <summary>
/// A block that can hand back the attention it computed in its last forward,
/// for analysis, without computing it again. When <see cref="CaptureAttention"/>
/// is on, Forward keeps a detached copy outside every scope (the block owns it
/// and frees it on the next capture or on Dispose).
/// </summary>
public interface IAttentionSource
{
    bool CaptureAttention { get; set; }
    Tensor? LastAttention { get; }
}
