using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// Criss-cross attention (CCNet, Huang et al. ICCV 2019): every position attends over its own row and column,
/// H + W - 1 positions, with one softmax over their union, and y = gamma x aggregate + x. The query and key are 1x1
/// convs to C / 8, the value a 1x1 conv to C, and gamma starts at 0, so that the block starts as the identity. It
/// recurs <see cref="Recurrence"/> times with the same weights: two passes carry every position's context to every
/// other (through the crossing of their lines). Parameter names are the official implementation's.
/// </summary>
public sealed partial class CrissCross : Module, IAttentionSource, IPairwiseFeatures
{
    private readonly AttentionCapture _capture = new();
    private readonly CapturedGate _input = new(), _context = new();

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
    /// When true, Forward keeps the last pass's attention in <see cref="LastAttention"/> as a pairwise map
    /// [N, H*W, H*W], the shape of the non-local block's: row u holds query u's weights over the whole grid, non-zero
    /// only on its row and column, so that the analysis of pairwise maps reads it as it reads the non-local block's.
    /// </summary>
    public bool CaptureAttention { get => _capture.Enabled; set => _capture.Enabled = value; }
    public Tensor? LastAttention => _capture.Last;

    /// <summary>The maps are one softmax of q . k per query, an embedded gaussian restricted to the criss-cross path.</summary>
    Pairwise IPairwiseFeatures.Mode => Pairwise.EmbeddedGaussian;

    /// <summary>When true, Forward keeps the last pass's input and its aggregate (before gamma) as channels-last maps.</summary>
    public bool CaptureFeatures { get; set; }
    public Tensor? LastInput => _input.Value;
    public Tensor? LastContext => _context.Value;

    internal static CrissCross FromConfig(BlockConfig c) => new(c.Int("channels"), c.Int("recurrence", 2));

    public override Tensor Forward(Tensor x)
    {
        BlockInput.Check("CrissCross", x, Channels);
        for (int r = 0; r < Recurrence; r++)
        {
            bool keep = r == Recurrence - 1 && (CaptureAttention || CaptureFeatures);
            var op = new CrissCrossOp(x, QueryConv, KeyConv, ValueConv, Gamma, keep);
            var y = op.Run();
            if (keep)
            {
                using var aggregate = op.Aggregate!;
                if (CaptureAttention) KeepAsPairwiseMap(op.Attention!);
                else op.Attention!.Dispose();
                if (CaptureFeatures)
                {
                    using var input = F.Materialize(x, MemoryFormat.ChannelsLast);
                    _input.Keep(input);
                    _context.Keep(aggregate);
                }
            }
            x = y;
        }
        return x;
    }

    /// <summary>Scatters the op's [N, H, W, H + W] path weights onto the grid of keys, [N, H*W, H*W].</summary>
    private void KeepAsPairwiseMap(Tensor path)
    {
        int n = path.Shape[0], h = path.Shape[1], w = path.Shape[2], positions = h * w;
        using var map = Tensor.Zeros(new Shape(n, positions, positions));
        var a = path.Span;
        var m = map.Span;
        for (int b = 0; b < n; b++)
        for (int u = 0; u < positions; u++)
        {
            int i = u / w, j = u % w;
            long from = ((long)b * positions + u) * (h + w), to = ((long)b * positions + u) * positions;
            for (int r = 0; r < h; r++) m[(int)(to + r * w + j)] += a[(int)(from + r)];
            for (int c = 0; c < w; c++) m[(int)(to + i * w + c)] += a[(int)(from + h + c)];
        }
        _capture.Keep(map, map.Shape);
        path.Dispose();
    }

    public override void Dispose()
    {
        _capture.Dispose();
        _input.Dispose();
        _context.Dispose();
        base.Dispose();
    }
}
