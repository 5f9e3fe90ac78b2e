using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// The simplified non-local block (GCNet): one attention map shared by every
/// query, z = x + transform(sum_j softmax_j(conv_attn(x)) x_j), with
/// `conv_attn` (C -> 1) and `transform` (C -> C) 1x1 convs with bias.
/// </summary>
public sealed partial class SimplifiedNonLocal : Module, IAttentionSource
{
    private readonly AttentionCapture _capture = new();

    public SimplifiedNonLocal(int channels)
    {
        if (channels < 1) throw new ArgumentException($"SimplifiedNonLocal: channels must be positive, got {channels}.");
        Channels = channels;
        ConvAttn = Register("conv_attn", new Conv2d(channels, 1, 1));
        Transform = Register("transform", new Conv2d(channels, channels, 1));
    }

    public int Channels { get; }
    public Conv2d ConvAttn { get; }
    public Conv2d Transform { get; }

    /// <summary>When true, Forward keeps the pooling weights [N, H*W] in <see cref="LastAttention"/>.</summary>
    public bool CaptureAttention { get => _capture.Enabled; set => _capture.Enabled = value; }
    public Tensor? LastAttention => _capture.Last;

    internal static SimplifiedNonLocal FromConfig(BlockConfig c) => new(c.Int("channels"));

    /// <summary>The fused kernels when true; the composition of engine ops (the tested oracle) when false.</summary>
    internal bool UseFusedKernels { get; set; } = true;

    public override Tensor Forward(Tensor x)
    {
        BlockInput.Check("SimplifiedNonLocal", x, Channels);
        if (!UseFusedKernels)
        {
            var context = ComposedContext.AttentionPool(x, ConvAttn.Weight, ConvAttn.Bias!, out var attention);
            _capture.Keep(attention, attention.Shape);
            return F.Add(x, Transform.Forward(context));
        }
        int n = x.Shape[0];
        var link = new ContextLink();
        var ctx = F.ContextPool(x, ConvAttn.Weight, ConvAttn.Bias, link, out var weights);
        _capture.Keep(weights!, weights!.Shape);
        var shift = Pointwise.Linear(Transform, F.Reshape(ctx, n, Channels));
        return F.ContextFuse(x, null, F.Reshape(shift, n, Channels, 1, 1), link);
    }

    public override void Dispose()
    {
        _capture.Dispose();
        base.Dispose();
    }
}
