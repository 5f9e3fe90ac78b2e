namespace ContextNets;

/// <summary>
/// How a tensor's elements lie in memory. The logical order is always NCHW;
/// ChannelsLast keeps a 4-D tensor physically as N,H,W,C, which is what the
/// oneDNN kernels run fastest on without reorders (see docs/engine.md), and a
/// 5-D clip [N, C, D, H, W] as N,D,H,W,C (docs/video.md measures that choice).
/// </summary>
public enum MemoryFormat
{
    Contiguous,
    ChannelsLast,
}
