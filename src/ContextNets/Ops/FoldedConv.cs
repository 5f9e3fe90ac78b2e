using System.Collections.Concurrent;
using ContextNets.Backend.Dnnl;
using ContextNets.NN;

namespace ContextNets;

/// <summary>
/// A convolution with the BatchNorm after it folded in (w' = w g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta),
/// run as one oneDNN inference primitive with ReLU, and optionally the residual sum before it, as post-ops.
/// It owns its folded weights and keeps them in each layout a primitive asks for, never evicting one, so that
/// concurrent calls share the reordered weights without locks on the hot path.
/// </summary>
internal sealed unsafe class FoldedConv : IDisposable
{
    private readonly Tensor _weight, _bias;
    private readonly int _stride, _padding, _dilation, _groups, _cin, _cout, _k;
    private readonly bool _relu, _winograd;
    private const int MaxWinogradGroups = 4;
    private readonly ConcurrentDictionary<(Primitive, int), Lazy<(nint ptr, int capacity)>> _layouts = new();

    /// <param name="conv">The convolution.</param>
    /// <param name="bn">The BatchNorm after it, if any, to fold in.</param>
    /// <param name="relu">Apply ReLU to the result.</param>
    /// <param name="winograd">Run 3x3 stride-1 convs with oneDNN's Winograd kernels where it has them (<see cref="DnnlWinograd"/>).</param>
    public FoldedConv(Conv2d conv, BatchNorm2d? bn, bool relu, bool winograd = true)
    {
        _winograd = winograd;
        Source = conv;
        _cin = conv.InChannels;
        _cout = conv.OutChannels;
        _k = conv.KernelSize;
        _stride = conv.Stride;
        _padding = conv.Padding;
        _dilation = conv.Dilation;
        _groups = conv.Groups;
        _relu = relu;
        _weight = Tensor.EmptyUnscoped(conv.Weight.Shape);
        _bias = Tensor.EmptyUnscoped(new Shape(_cout));
        Fold(conv, bn, _weight.Span, _bias.Span);
    }

    public int OutChannels => _cout;

    /// <summary>The conv it was folded from: the exporter finds a conv's int8 quantization by it.</summary>
    public Conv2d Source { get; }

    /// <summary>The folded weights and bias, f32, for checks of what a lowering or an export made of them.</summary>
    internal Tensor FoldedWeight => _weight;

    internal Tensor FoldedBias => _bias;

    /// <summary>The bf16 or int8 kernel that runs this conv in place of the f32 one (<see cref="Lower"/>); null: f32.</summary>
    public LowPrecisionConv? Lowered { get; private set; }

    /// <summary>Called with every input before the conv runs: calibration and error reports watch the convs through it.</summary>
    public Action<FoldedConv, Tensor>? Observer { get; set; }

    public Precision Precision => Lowered?.Precision ?? Precision.Fp32;

    /// <summary>What the conv is, for reports: "64->256 1x1 stride 1".</summary>
    public string Description => $"{_cin}->{_cout} {_k}x{_k} stride {_stride}" + (_groups > 1 ? $" groups {_groups}" : "");

    /// <summary>From now on run in <paramref name="precision"/> (f32 undoes an earlier lowering); int8 needs the input's quantization.</summary>
    public void Lower(Precision precision, ActivationQuantization input = default)
    {
        Lowered?.Dispose();
        Lowered = precision == Precision.Fp32 ? null : new LowPrecisionConv(_weight, _bias, _groups, precision, input);
    }

    /// <summary>conv(x) (+ the BN, + ReLU) in f32 whatever the lowering: the reference a lowered conv's error is measured against.</summary>
    public Tensor RunFp32(Tensor x)
    {
        var g = Geometry(x.Shape);
        var y = Tensor.Empty(g.OutShape, Engine.ActivationFormat);
        ExecuteFp32(g, x, y, sum: false, _relu);
        return y;
    }

    private static void Fold(Conv2d conv, BatchNorm2d? bn, Span<float> w, Span<float> b)
    {
        var w0 = conv.Weight.ToArray();
        var b0 = conv.Bias?.ToArray();
        int perOut = w0.Length / conv.OutChannels;
        float[]? g = bn?.Weight.ToArray(), beta = bn?.Bias.ToArray(), mean = bn?.RunningMean.ToArray(), variance = bn?.RunningVar.ToArray();
        for (int o = 0; o < conv.OutChannels; o++)
        {
            double scale = 1, shift = 0, bias = b0?[o] ?? 0;
            if (bn is not null)
            {
                scale = g![o] / Math.Sqrt(variance![o] + (double)bn.Eps);
                shift = beta![o] - mean![o] * scale;
            }
            for (int i = 0; i < perOut; i++) w[o * perOut + i] = (float)(w0[o * perOut + i] * scale);
            b[o] = (float)(bias * scale + shift);
        }
    }

    /// <summary>conv(x) (+ the BN, + ReLU) into a new tensor in the activation layout.</summary>
    public Tensor Run(Tensor x)
    {
        Observer?.Invoke(this, x);
        return Run(x, null);
    }

    /// <summary>conv(x) (+ the BN, + ReLU) of an input that an earlier conv wrote in this one's input format (<see cref="RunFor(Tensor, FoldedConv)"/>).</summary>
    public Tensor Run(LowActivation x) => Run(null, x);

    private Tensor Run(Tensor? x, LowActivation? xLow)
    {
        var g = Geometry(x?.Shape ?? xLow!.Shape);
        var y = Tensor.Empty(g.OutShape, Engine.ActivationFormat);
        Execute(g, x, xLow, y, sum: false, _relu);
        return y;
    }

    /// <summary>
    /// ReLU(conv(x) + shortcut), the ReLU whatever this conv's own, written over <paramref name="shortcut"/>, which must be dense in the activation layout
    /// and have the output's shape; it is returned.
    /// </summary>
    public Tensor RunInto(Tensor x, Tensor shortcut)
    {
        Observer?.Invoke(this, x);
        return RunInto(x, null, shortcut);
    }

    /// <summary><see cref="RunInto(Tensor, Tensor)"/> of an input that an earlier conv wrote in this one's input format.</summary>
    public Tensor RunInto(LowActivation x, Tensor shortcut) => RunInto(null, x, shortcut);

    private Tensor RunInto(Tensor? x, LowActivation? xLow, Tensor shortcut)
    {
        var g = Geometry(x?.Shape ?? xLow!.Shape);
        if (shortcut.Shape != g.OutShape || !shortcut.IsIn(Engine.ActivationFormat))
            throw new ArgumentException($"A fused residual sum needs the shortcut {shortcut.Shape} as the conv's output {g.OutShape} in the activation layout.");
        Execute(g, x, xLow, shortcut, sum: true, relu: true);
        return shortcut;
    }

    /// <summary>
    /// Whether this conv may write its output straight in <paramref name="consumer"/>'s input format: both are lowered
    /// to the same precision, and nothing watches the consumer's f32 input (calibration and error reports do).
    /// </summary>
    public bool CanFeed(FoldedConv consumer) =>
        Lowered is { } a && consumer.Lowered is { } b && a.Precision == b.Precision && consumer.Observer is null;

    /// <summary>conv(x) (+ the BN, + ReLU) written in <paramref name="consumer"/>'s input format, for it to run on next (<see cref="CanFeed"/> must hold).</summary>
    public LowActivation RunFor(Tensor x, FoldedConv consumer)
    {
        Observer?.Invoke(this, x);
        return RunFor(x, null, consumer);
    }

    /// <summary><see cref="RunFor(Tensor, FoldedConv)"/> of an input that an earlier conv wrote in this one's input format.</summary>
    public LowActivation RunFor(LowActivation x, FoldedConv consumer) => RunFor(null, x, consumer);

    private LowActivation RunFor(Tensor? x, LowActivation? xLow, FoldedConv consumer)
    {
        if (!CanFeed(consumer)) throw new InvalidOperationException($"The conv {Description} ({Precision}) cannot write its output in the input format of {consumer.Description} ({consumer.Precision}).");
        return Lowered!.ExecuteFor(Geometry(x?.Shape ?? xLow!.Shape), x, xLow, _relu, consumer.Lowered!);
    }

    private ConvGeometry Geometry(Shape x)
    {
        if (x.Rank != 4 || x[1] != _cin)
            throw new ArgumentException($"A folded conv of {_cin} input channels got {x}.");
        return Geometry(x[0], x[2], x[3]);
    }

    private ConvGeometry Geometry(int n, int h, int w)
    {
        var g = new ConvGeometry(n, _cin, h, w, _cout, _k, _k, _stride, _stride, _padding, _padding, _dilation, _dilation, _groups);
        if (g.OutH < 1 || g.OutW < 1) throw new ArgumentException($"Input [{n}, {_cin}, {h}, {w}] is too small for a {_k}x{_k} conv with stride {_stride}.");
        return g;
    }

    /// <summary>The oneDNN implementation the lowered kernel picks for an input [n, in, h, w] (e.g. "brg:avx512_core_bf16"), for reports and tests.</summary>
    internal string LoweredImplementation(int n, int h, int w) =>
        (Lowered ?? throw new InvalidOperationException($"The conv {Description} runs in f32: it has no lowered kernel.")).Implementation(Geometry(n, h, w));

    private void Execute(in ConvGeometry g, Tensor? x, LowActivation? xLow, Tensor y, bool sum, bool relu)
    {
        if (Lowered is { } low) low.Execute(g, x, xLow, y, sum, relu);
        else ExecuteFp32(g, x ?? throw new InvalidOperationException($"The conv {Description} runs in f32 and cannot read a low-precision input."), y, sum, relu);
    }

    private void ExecuteFp32(in ConvGeometry g, Tensor x, Tensor y, bool sum, bool relu)
    {
        var post = sum || relu ? new PostOps(relu ? [Alg.EltwiseRelu] : []) { Sum = sum } : null;
        if (_winograd && g.Groups is > 1 and <= MaxWinogradGroups)
        {
            // A few groups (split attention's radix) run as that many Winograd convs on channel slices, which oneDNN
            // reorders from and into directly: 2.5 times faster than the grouped direct kernel.
            var one = g with { Cin = g.Cin / g.Groups, Cout = g.Cout / g.Groups, Groups = 1 };
            if (DnnlWinograd.Applies(one) && DnnlWinograd.Forward(one, hasBias: true, training: false, post) is { } wp)
            {
                int[] xs = x.Strides.ToArray(), ys = y.Strides.ToArray();
                for (int k = 0; k < g.Groups; k++)
                {
                    using var xk = x.View(new Shape(g.N, one.Cin, g.H, g.W), xs, k * one.Cin * xs[1]);
                    using var yk = y.View(one.OutShape, ys, k * one.Cout * ys[1]);
                    Run(wp, one, xk, yk, sum, k);
                }
                return;
            }
        }
        var p = (_winograd && DnnlWinograd.Applies(g) ? DnnlWinograd.Forward(g, hasBias: true, training: false, post) : null)
            ?? DnnlConv.ForwardPrimitive(g, hasBias: true, training: false, post);
        Run(p, g, x, y, sum, 0);
    }

    // One primitive on one group's weights and bias (the whole conv when group 0 of an ungrouped geometry).
    private void Run(Primitive p, in ConvGeometry g, Tensor x, Tensor y, bool sum, int group)
    {
        using var staging = new Staging();
        nint src = staging.Input(x, p.Query(Q.SrcMd));
        nint wts = Weights(p, g, group);
        // A Winograd kernel works in its own blocked layout: the output (and for a fused sum the shortcut it starts from) is reordered.
        var dstMd = p.Query(Q.DstMd);
        nint dst = staging.Output(y, dstMd, out bool copy);
        if (copy && sum) PrimitiveCache.Reorder(Md.Of(y), (nint)y.Data, dstMd, dst);
        p.Execute([(Arg.Src, src), (Arg.Weights, wts), (Arg.Bias, (nint)(_bias.Data + group * g.Cout)), (Arg.Dst, dst)]);
        if (copy) Staging.CopyOut(dstMd, dst, y);
    }

    private nint Weights(Primitive p, ConvGeometry g, int group)
    {
        var wanted = p.Query(Q.WeightsMd);
        var plain = Md.Strided(g.WeightDims, g.PlainWeightStrides);
        var data = _weight.Data + (long)group * g.Cout * (g.Cin / g.Groups) * g.Kh * g.Kw;
        if (Md.Equal(plain, wanted)) return (nint)data;
        return _layouts.GetOrAdd((p, group), _ => new Lazy<(nint, int)>(() =>
        {
            var want = p.Query(Q.WeightsMd);
            var buffer = (nint)BufferPool.Rent((int)((Md.Bytes(want) + 3) / 4), out int capacity);
            PrimitiveCache.Reorder(Md.Strided(g.WeightDims, g.PlainWeightStrides), (nint)data, want, buffer);
            return (buffer, capacity);
        }, LazyThreadSafetyMode.ExecutionAndPublication)).Value.ptr;
    }

    public void Dispose()
    {
        foreach (var l in _layouts.Values)
            if (l.IsValueCreated) BufferPool.Return((void*)l.Value.ptr, l.Value.capacity);
        _layouts.Clear();
        Lowered?.Dispose();
        Lowered = null;
        _weight.Dispose();
        _bias.Dispose();
    }
}
