using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// The non-local block (Wang et al. 2018): z_i = x_i + W_z y_i with
/// y_i = 1/C(x) sum_j f(x_i, x_j) g(x_j), for 1-D [N, C, L], 2-D [N, C, H, W]
/// and 3-D [N, C, T, H, W] inputs. Parameter names are those of
/// reference/blocks.py: `g`, `theta`, `phi` (1x1 convs C -> inner),
/// `conv_out` (inner -> C) and `concat_project` (2*inner -> 1, concatenation
/// mode). With <c>norm</c>, a BatchNorm2d `norm` follows conv_out, and conv_out
/// has no bias (the norm's shift replaces it), as mmcv's ConvModule builds it.
/// As in the paper, the block starts as the identity: conv_out is zeroed, or
/// the norm's gamma when there is one. A 2-D result is in the engine's
/// activation layout, whatever the input's layout.
/// </summary>
public sealed partial class NonLocal : Module, IAttentionSource
{
    private readonly CapturedGate _attention = new(), _input = new(), _context = new();

    public NonLocal(int channels, Pairwise mode = Pairwise.EmbeddedGaussian, int reduction = 2, bool subSample = false, bool useScale = true, bool norm = false)
    {
        if (channels < 1) throw new ArgumentException($"NonLocal({channels}): channels must be positive.");
        if (reduction < 1) throw new ArgumentException($"NonLocal({channels}): reduction must be at least 1, got {reduction}.");
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"NonLocal: unknown mode {(int)mode}.");
        Channels = channels;
        Inner = Math.Max(channels / reduction, 1);
        Mode = mode;
        SubSample = subSample;
        UseScale = useScale;
        G = Register("g", Embedding(channels, Inner));
        if (mode != Pairwise.Gaussian)
        {
            Theta = Register("theta", Embedding(channels, Inner));
            Phi = Register("phi", Embedding(channels, Inner));
        }
        if (mode == Pairwise.Concatenation) ConcatProject = Register("concat_project", new Conv2d(2 * Inner, 1, 1, bias: false));
        ConvOut = Register("conv_out", new Conv2d(Inner, channels, 1, bias: !norm));
        if (norm)
        {
            Norm = Register("norm", new BatchNorm2d(channels));
            Norm.Weight.Span.Clear();
        }
        else
        {
            ConvOut.Weight.Span.Clear();
            ConvOut.Bias!.Span.Clear();
        }
    }

    public int Channels { get; }
    public int Inner { get; }
    public Pairwise Mode { get; }
    public bool SubSample { get; }
    public bool UseScale { get; }
    public Conv2d G { get; }
    public Conv2d? Theta { get; }
    public Conv2d? Phi { get; }
    public Conv2d? ConcatProject { get; }
    public Conv2d ConvOut { get; }
    public BatchNorm2d? Norm { get; }

    public bool CaptureAttention { get; set; }

    /// <summary>The pairwise map f [N, Np, Np'] of the last forward (queries by keys, after the softmax or the 1/Np' normalization).</summary>
    public Tensor? LastAttention => _attention.Value;

    /// <summary>When true, Forward keeps its input and its context in <see cref="LastInput"/> and <see cref="LastContext"/> (for analysis).</summary>
    public bool CaptureFeatures { get; set; }

    /// <summary>The input x of the last forward as the map [N, C, T*H, W] the block works on, channels-last.</summary>
    public Tensor? LastInput => _input.Value;

    /// <summary>The context y_i = sum_j f(x_i, x_j) g(x_j) of the last forward, before W_z: [N, inner, T*H, W], channels-last.</summary>
    public Tensor? LastContext => _context.Value;

    internal NonLocalParams Params => new(Mode, UseScale, Inner, G.Weight, G.Bias!, Theta?.Weight, Theta?.Bias, Phi?.Weight, Phi?.Bias,
        ConcatProject?.Weight, ConvOut.Weight, ConvOut.Bias);

    public override Tensor Forward(Tensor x)
    {
        var geo = NonLocalGeometry.Of(x, Channels, SubSample);
        var steps = new List<Tensor>();
        Tensor Step(Tensor t)
        {
            steps.Add(t);
            return t;
        }

        // The input as the 4-D channels-last map [N, C, T*H, W]: a view for a channels-last 2-D input. The
        // residual is added there too, where both operands lie alike (a mixed-layout add is a slow strided walk).
        // A clip folds its frames into the height without a copy (in either clip layout).
        var folded = x.Rank switch { 4 => x, 5 => Step(F.FoldDepth(x)), _ => Step(F.Reshape(x, [.. geo.MapShape(geo.C).Dims])) };
        var map = Step(F.ToFormat(folded, MemoryFormat.ChannelsLast));
        var (o, attention) = NonLocalAttention.Forward(map, geo, Params, CaptureFeatures ? _context.Keep : null);
        if (CaptureAttention) _attention.Keep(attention);
        if (CaptureFeatures) _input.Keep(map);
        attention.Dispose();
        if (Norm is not null) o = Norm.Forward(Step(o));
        var z = F.Add(map, Step(o));
        if (x.Rank == 5) z = F.UnfoldDepth(Step(z), geo.T);
        else if (x.Rank != 4) z = F.Reshape(Step(z), [.. x.Shape.Dims]);
        else if (Engine.ActivationFormat != MemoryFormat.ChannelsLast) z = F.ToFormat(Step(z), Engine.ActivationFormat);
        // Without a graph to keep them alive, the intermediate maps go now, scope or not.
        if (!z.RequiresGrad)
            foreach (var t in steps) t.Dispose();
        return z;
    }

    // The paper's and mmcv's init for the embeddings: N(0, 0.01^2) weights, zero bias.
    private static Conv2d Embedding(int channels, int inner)
    {
        var conv = new Conv2d(channels, inner, 1);
        Initializers.Normal(0.01)(conv.Weight.Span);
        conv.Bias!.Span.Clear();
        return conv;
    }

    internal static NonLocal FromConfig(BlockConfig c) => new(
        c.Int("channels"),
        PairwiseNames.Parse(c.String("mode", "embedded_gaussian")),
        c.Int("reduction", 2),
        c.Bool("sub_sample", false),
        c.Bool("use_scale", true),
        c.Bool("norm", false));

    public override void Dispose()
    {
        _attention.Dispose();
        _input.Dispose();
        _context.Dispose();
        base.Dispose();
    }
}
