using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// Squeeze-and-Excitation (timm's SEModule): s = sigmoid(fc2(ReLU(fc1(GAP(x))))),
/// out = s * x, with `fc1` (C -> rd) and `fc2` (rd -> C) 1x1 convs with bias.
/// </summary>
public sealed partial class SqueezeExcite : Module, IAttentionSource
{
    private readonly AttentionCapture _capture = new();

    /// <param name="channels">C, the channels of x.</param>
    /// <param name="rdRatio">The bottleneck width over C, when <paramref name="rdChannels"/> is not given.</param>
    /// <param name="rdChannels">The bottleneck width itself.</param>
    /// <param name="rdDivisor">The bottleneck width is rounded to a multiple of this (timm's make_divisible).</param>
    public SqueezeExcite(int channels, double rdRatio = 1.0 / 16, int? rdChannels = null, int rdDivisor = 8)
    {
        if (channels < 1) throw new ArgumentException($"SqueezeExcite: channels must be positive, got {channels}.");
        Channels = channels;
        ReducedChannels = Divisible.Reduced("SqueezeExcite", channels, rdRatio, rdChannels, rdDivisor);
        Fc1 = Register("fc1", new Conv2d(channels, ReducedChannels, 1));
        Fc2 = Register("fc2", new Conv2d(ReducedChannels, channels, 1));
    }

    public int Channels { get; }
    public int ReducedChannels { get; }
    public Conv2d Fc1 { get; }
    public Conv2d Fc2 { get; }

    /// <summary>When true, Forward keeps the gate values [N, C] (after the sigmoid) in <see cref="LastAttention"/>.</summary>
    public bool CaptureAttention { get => _capture.Enabled; set => _capture.Enabled = value; }
    public Tensor? LastAttention => _capture.Last;

    internal static SqueezeExcite FromConfig(BlockConfig c) =>
        new(c.Int("channels"), c.Double("rd_ratio", 1.0 / 16), c.OptionalInt("rd_channels"), c.Int("rd_divisor", 8));

    /// <summary>The fused kernels when true; the composition of engine ops (the tested oracle) when false.</summary>
    internal bool UseFusedKernels { get; set; } = true;

    public override Tensor Forward(Tensor x)
    {
        BlockInput.Check("SqueezeExcite", x, Channels);
        if (!UseFusedKernels)
        {
            var s = F.Sigmoid(Fc2.Forward(F.Relu(Fc1.Forward(ComposedContext.AveragePool(x)))));
            _capture.Keep(s, [x.Shape[0], Channels]);
            return F.Mul(x, s);
        }
        int n = x.Shape[0];
        var link = new ContextLink();
        var squeezed = F.Reshape(F.ContextPool(x, null, null, link, out _), n, Channels);
        var gate = F.Sigmoid(Pointwise.Linear(Fc2, F.Relu(Pointwise.Linear(Fc1, squeezed))));
        _capture.Keep(gate, gate.Shape);
        return F.ContextFuse(x, F.Reshape(gate, n, Channels, 1, 1), null, link);
    }

    public override void Dispose()
    {
        _capture.Dispose();
        base.Dispose();
    }
}
