namespace ContextNets.Attention;

public interface IAttentionSource { bool CaptureAttention { get; set; } Tensor? LastAttention { get; } }
