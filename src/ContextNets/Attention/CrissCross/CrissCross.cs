using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// Criss-cross attention (CCNet, Huang et al. ICCV 2019): every position attends over its own row and column,
/// H + W - 1 positions, with one softmax over their union, and y = gamma x aggregate + x. The query and key are 1x1
/// convs to C / 8, the value a 1x1 conv to C, and gamma starts at 0, so that the block starts as the identity. It
/// recurs <see cref="Recurrence"/> times with the same weights: two passes carry every position's context to every
/// other (through the crossing of their lines). Parameter names are the official implementation's.
/// </summary>
public sealed class CrissCross : Module, IAttentionSource
{
    private readonly AttentionCapture _capture = new();

    public CrissCross(int channels, int recurrence = 2)
    {
        if (channels < 8) throw new ArgumentException($"CrissCross: channels must be at least 8 (query and key width C / 8), got {channels}.");
        if (recurrence < 1) throw new ArgumentException($"CrissCross: recurrence must be at least 1, got {recurrence}.");
        Channels = channels;
        Recurrence = recurrence;
        QueryConv = Register("query_conv", new Conv2d(channels, channels / 8, 1));
        KeyConv = Register("key_conv", new Conv2d(channels, channels / 8, 1));
        ValueConv = Register("value_conv", new Conv2d(channels, channels, 1));
        Gamma = RegisterParameter("gamma", Init([1]));
    }

    public int Channels { get; }
    public int Recurrence { get; }
    public int KeyChannels => Channels / 8;
    public Conv2d QueryConv { get; }
    public Conv2d KeyConv { get; }
    public Conv2d ValueConv { get; }
    public Tensor Gamma { get; }

    /// <summary>
    /// When true, Forward keeps the last pass's softmax weights [N, H, W, H + W] in <see cref="LastAttention"/>:
    /// for query (i, j), slot a &lt; H weighs the column position (a, j) (slot i is the masked self, 0), slot H + b
    /// the row position (i, b).
    /// </summary>
    public bool CaptureAttention { get => _capture.Enabled; set => _capture.Enabled = value; }
    public Tensor? LastAttention => _capture.Last;

    internal static CrissCross FromConfig(BlockConfig c) => new(c.Int("channels"), c.Int("recurrence", 2));

    public override Tensor Forward(Tensor x)
    {
        BlockInput.Check("CrissCross", x, Channels);
        for (int r = 0; r < Recurrence; r++)
        {
            bool last = r == Recurrence - 1;
            x = CrissCrossOp.Forward(x, QueryConv, KeyConv, ValueConv, Gamma, last && CaptureAttention, out var attention);
            if (attention is not null) _capture.Keep(attention, attention.Shape);
        }
        return x;
    }

    public override void Dispose()
    {
        _capture.Dispose();
        base.Dispose();
    }
}
