using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// The Global Context block (GCNet), with timm's parameter names: context
/// modelling (`conv_attn`, C -> 1, with attention pooling), a bottleneck
/// transform per fusion (`mlp_add`, `mlp_scale`: 1x1, LayerNorm, ReLU, 1x1)
/// and the fusion z = x * sigmoid(T_scale(ctx)) + T_add(ctx).
/// </summary>
public sealed partial class GlobalContext : Module, IAttentionSource
{
    private readonly AttentionCapture _capture = new();

    /// <param name="channels">C, the channels of x.</param>
    /// <param name="pooling">Attention (softmax over positions) or average pooling.</param>
    /// <param name="fusion">Add, scale, or both (scale first, then add).</param>
    /// <param name="rdRatio">The bottleneck width over C, when <paramref name="rdChannels"/> is not given.</param>
    /// <param name="rdChannels">The bottleneck width itself.</param>
    /// <param name="rdDivisor">The bottleneck width is rounded to a multiple of this (timm's make_divisible).</param>
    /// <param name="lnEps">The transform's LayerNorm eps: 1e-6 in timm, 1e-5 in mmcv.</param>
    /// <param name="zeroInitLast">Zero fc2 of each transform, so that an add-fusion block starts as the identity.</param>
    public GlobalContext(int channels, ContextPooling pooling = ContextPooling.Attention, ContextFusion fusion = ContextFusion.Add,
        double rdRatio = 1.0 / 16, int? rdChannels = null, int rdDivisor = 1, float lnEps = 1e-6f, bool zeroInitLast = true)
    {
        if (channels < 1) throw new ArgumentException($"GlobalContext: channels must be positive, got {channels}.");
        if (!Enum.IsDefined(pooling)) throw new ArgumentException($"GlobalContext: unknown pooling {(int)pooling}; use Attention or Average.");
        if (!Enum.IsDefined(fusion)) throw new ArgumentException($"GlobalContext: unknown fusion {(int)fusion}; use Add, Scale or Both.");
        if (!(lnEps > 0)) throw new ArgumentException($"GlobalContext: the LayerNorm eps must be positive, got {lnEps}.");
        Channels = channels;
        Pooling = pooling;
        Fusion = fusion;
        ReducedChannels = Divisible.Reduced("GlobalContext", channels, rdRatio, rdChannels, rdDivisor);
        if (pooling == ContextPooling.Attention)
        {
            ConvAttn = Register("conv_attn", new Conv2d(channels, 1, 1));
            // timm: kaiming_normal_(mode='fan_in', nonlinearity='relu').
            Initializers.Normal(Math.Sqrt(2.0 / channels))(ConvAttn.Weight.Span);
        }
        if (fusion.HasFlag(ContextFusion.Add)) MlpAdd = Register("mlp_add", new ConvMlp(channels, ReducedChannels, lnEps));
        if (fusion.HasFlag(ContextFusion.Scale)) MlpScale = Register("mlp_scale", new ConvMlp(channels, ReducedChannels, lnEps));
        if (zeroInitLast)
        {
            MlpAdd?.ZeroLast();
            MlpScale?.ZeroLast();
        }
    }

    public int Channels { get; }
    public int ReducedChannels { get; }
    public ContextPooling Pooling { get; }
    public ContextFusion Fusion { get; }
    public Conv2d? ConvAttn { get; }
    public ConvMlp? MlpAdd { get; }
    public ConvMlp? MlpScale { get; }

    /// <summary>When true, Forward keeps the pooling weights [N, H*W] in <see cref="LastAttention"/>. Average pooling has none.</summary>
    public bool CaptureAttention { get => _capture.Enabled; set => _capture.Enabled = value; }
    public Tensor? LastAttention => _capture.Last;

    /// <summary>Builds the block from the constructor arguments of blocks.py's GlobalContext (plus ln_eps).</summary>
    internal static GlobalContext FromConfig(BlockConfig c)
    {
        bool add = c.Bool("fuse_add", true), scale = c.Bool("fuse_scale", false);
        if (!add && !scale) throw new ArgumentException("The gc config fuses nothing: fuse_add and fuse_scale are both false.");
        return new GlobalContext(c.Int("channels"),
            c.Bool("use_attn", true) ? ContextPooling.Attention : ContextPooling.Average,
            (add ? ContextFusion.Add : 0) | (scale ? ContextFusion.Scale : 0),
            c.Double("rd_ratio", 1.0 / 16), c.OptionalInt("rd_channels"), c.Int("rd_divisor", 1), (float)c.Double("ln_eps", 1e-6));
    }

    /// <summary>
    /// The fused kernels (one sweep over x for the pooling, one for the fusion,
    /// and likewise backward) when true; the composition of engine ops that
    /// mirrors blocks.py, kept as the tested oracle, when false.
    /// </summary>
    internal bool UseFusedKernels { get; set; } = true;

    public override Tensor Forward(Tensor x)
    {
        BlockInput.Check("GlobalContext", x, Channels);
        return UseFusedKernels ? FusedForward(x) : ComposedForward(x);
    }

    private Tensor FusedForward(Tensor x)
    {
        int n = x.Shape[0];
        var link = new ContextLink();
        var ctx = F.ContextPool(x, ConvAttn?.Weight, ConvAttn?.Bias, link, out var weights);
        if (weights is not null) _capture.Keep(weights, weights.Shape);
        var flat = F.Reshape(ctx, n, Channels);
        var scale = MlpScale is null ? null : F.Reshape(F.Sigmoid(MlpScale.ForwardFlat(flat)), n, Channels, 1, 1);
        var shift = MlpAdd is null ? null : F.Reshape(MlpAdd.ForwardFlat(flat), n, Channels, 1, 1);
        return F.ContextFuse(x, scale, shift, link);
    }

    private Tensor ComposedForward(Tensor x)
    {
        Tensor ctx;
        if (ConvAttn is not null)
        {
            ctx = ComposedContext.AttentionPool(x, ConvAttn.Weight, ConvAttn.Bias!, out var weights);
            _capture.Keep(weights, weights.Shape);
        }
        else
        {
            ctx = ComposedContext.AveragePool(x);
        }
        var y = x;
        if (MlpScale is not null) y = F.Mul(y, F.Sigmoid(MlpScale.Forward(ctx)));
        if (MlpAdd is not null) y = F.Add(y, MlpAdd.Forward(ctx));
        return y;
    }

    public override void Dispose()
    {
        _capture.Dispose();
        base.Dispose();
    }
}
