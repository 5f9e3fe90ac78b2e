using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

/// <summary>
/// A folded convolution's bf16 or int8 kernel. bf16: the input is rounded to bf16 on its way in, the weights once,
/// and the sums run in f32. int8: the input is quantized with its calibrated per-tensor scale, the weights
/// symmetrically per output channel (w_q = round(w / s_w[o]), s_w[o] = max|w[o]| / 127), the sums run in s32, and the
/// output scale s_x s_w[o] brings them back to f32 before the bias, the residual sum and ReLU (fused post-ops).
/// The output is f32 in the activation layout, so that what follows (attention blocks, pooling, the classifier)
/// is unchanged, unless it feeds another lowered conv directly: then it is written in that conv's input format
/// (<see cref="LowActivation"/>). It reads the folded f32 weights and bias it was made from, which its owner keeps alive.
/// </summary>
internal sealed unsafe class LowPrecisionConv : IDisposable
{
    private readonly Tensor _weight, _bias;
    private readonly int _groups;
    private readonly ActivationQuantization _input;
    private readonly float[] _weightScales = [], _outputScales = [], _scaledBias = [];
    private sbyte* _quantizedWeights;
    private readonly ConcurrentDictionary<(int n, int h, int w, bool sum, bool relu, int dstType, float dstScale), Lazy<Kernel>> _kernels = new();

    private sealed record Kernel(Primitive Primitive, nint Weights, int Capacity);

    public LowPrecisionConv(Tensor weight, Tensor bias, int groups, Precision precision, ActivationQuantization input = default)
    {
        if (precision == Precision.Fp32) throw new ArgumentException("A low-precision conv is bf16 or int8.");
        if (precision == Precision.Int8 && !(input.Scale > 0 && float.IsFinite(input.Scale)))
            throw new ArgumentException($"An int8 conv needs a positive finite input scale, not {input.Scale}.");
        (_weight, _bias, _groups, Precision, _input) = (weight, bias, groups, precision, input);
        if (precision != Precision.Int8) return;
        int cout = weight.Shape[0];
        _weightScales = WeightScales(weight.Span, cout);
        _quantizedWeights = (sbyte*)NativeMemory.AlignedAlloc((nuint)weight.Numel, 64);
        QuantizeWeights(weight.Span, _weightScales, new Span<sbyte>(_quantizedWeights, weight.Numel));
        _outputScales = new float[cout];
        _scaledBias = new float[cout];
        var b = bias.Span;
        for (int o = 0; o < cout; o++)
        {
            _outputScales[o] = input.Scale * _weightScales[o];
            // oneDNN 2.x adds the bias to the s32 sum before the output scale, so it is given in the sum's units.
            _scaledBias[o] = b[o] / _outputScales[o];
        }
    }

    public Precision Precision { get; }

    public ActivationQuantization Input => _input;

    /// <summary>Per output channel: the largest magnitude of its weights over 127 (1 for an all-zero channel).</summary>
    public static float[] WeightScales(ReadOnlySpan<float> weights, int cout)
    {
        int perOut = weights.Length / cout;
        var scales = new float[cout];
        for (int o = 0; o < cout; o++)
        {
            // MaxMagnitude returns the element itself, sign included.
            float max = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(weights.Slice(o * perOut, perOut)));
            scales[o] = max > 0 ? max / 127f : 1f;
        }
        return scales;
    }

    /// <summary>round(w / s[o]) to nearest-even, within [-127, 127].</summary>
    public static void QuantizeWeights(ReadOnlySpan<float> weights, float[] scales, Span<sbyte> into)
    {
        int perOut = weights.Length / scales.Length;
        for (int i = 0; i < weights.Length; i++)
            into[i] = (sbyte)Math.Clamp(MathF.Round(weights[i] / scales[i / perOut]), -127, 127);
    }

    /// <summary>The oneDNN types this conv has written its output in: f32, or its consumers' input types (for reports and tests).</summary>
    internal IEnumerable<int> OutputTypes => _kernels.Keys.Select(k => k.dstType).Distinct();

    /// <summary>The type this conv reads its input in: bf16, or u8/s8 as its input quantization says.</summary>
    public int SourceType => Precision != Precision.Int8 ? Dt.Bf16 : _input.Unsigned ? Dt.U8 : Dt.S8;

    /// <summary>
    /// The conv of x (f32, or <paramref name="xLow"/> already in <see cref="SourceType"/>) into y (f32, activation
    /// layout), with the residual sum over y's values and ReLU as asked.
    /// </summary>
    public void Execute(in ConvGeometry g, Tensor? x, LowActivation? xLow, Tensor y, bool sum, bool relu)
    {
        var kernel = KernelFor(g, sum, relu, Dt.F32, 1f);
        using var staging = new Staging();
        nint src = Source(kernel.Primitive, staging, x, xLow);
        var dstMd = kernel.Primitive.Query(Q.DstMd);
        nint dst = staging.Output(y, dstMd, out bool copy);
        if (copy && sum) PrimitiveCache.Reorder(Md.Of(y), (nint)y.Data, dstMd, dst);
        Execute(kernel, src, dst);
        if (copy) Staging.CopyOut(dstMd, dst, y);
    }

    /// <summary>
    /// The conv of x (as in <see cref="Execute(in ConvGeometry, Tensor?, LowActivation?, Tensor, bool, bool)"/>), with
    /// ReLU as asked, written in <paramref name="consumer"/>'s input format: bf16, or its u8/s8 with the output scales
    /// divided by its input scale, so that the values are those the consumer would make of this conv's f32 output.
    /// </summary>
    public LowActivation ExecuteFor(in ConvGeometry g, Tensor? x, LowActivation? xLow, bool relu, LowPrecisionConv consumer)
    {
        if (consumer.Precision != Precision) throw new ArgumentException($"A {Precision} conv cannot feed a {consumer.Precision} conv directly.");
        var kernel = KernelFor(g, sum: false, relu, consumer.SourceType, Precision == Precision.Int8 ? consumer._input.Scale : 1f);
        var y = new LowActivation(g.OutShape, consumer.SourceType);
        try
        {
            using var staging = new Staging();
            nint src = Source(kernel.Primitive, staging, x, xLow);
            if (!Md.Equal(kernel.Primitive.Query(Q.DstMd), y.Desc)) throw new InvalidOperationException("A lowered conv's primitive writes another layout than the activation layout it was asked for.");
            Execute(kernel, src, y.Data);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    private Kernel KernelFor(in ConvGeometry g, bool sum, bool relu, int dstType, float dstScale)
    {
        var key = (g.N, g.H, g.W, sum, relu, dstType, dstScale);
        // Looked up first: the factory's closure would otherwise be allocated on every call of every conv.
        if (_kernels.TryGetValue(key, out var known)) return known.Value;
        var geometry = g;
        return _kernels.GetOrAdd(key, _ => new Lazy<Kernel>(() => Create(geometry, sum, relu, dstType, dstScale), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    private nint Source(Primitive p, Staging staging, Tensor? x, LowActivation? xLow)
    {
        var srcMd = p.Query(Q.SrcMd);
        if (xLow is not null)
            return Md.Equal(xLow.Desc, srcMd) ? xLow.Data : throw new ArgumentException($"A lowered conv reads {xLow.Shape} in oneDNN type {SourceType} in the activation layout; it got another type or layout.");
        nint src = staging.Buffer(srcMd);
        DnnlLowPrecisionConv.Convert(x ?? throw new ArgumentNullException(nameof(x)), srcMd, SourceType, src, Precision == Precision.Int8 ? 1f / _input.Scale : 1f);
        return src;
    }

    private void Execute(Kernel kernel, nint src, nint dst)
    {
        fixed (float* scaled = _scaledBias)
        {
            nint bias = Precision == Precision.Int8 ? (nint)scaled : (nint)_bias.Data;
            kernel.Primitive.Execute([(Arg.Src, src), (Arg.Weights, kernel.Weights), (Arg.Bias, bias), (Arg.Dst, dst)]);
        }
    }

    private Kernel Create(ConvGeometry g, bool sum, bool relu, int dstType, float dstScale)
    {
        // A geometry of another conv would make oneDNN's weight reorder fail with a bare "invalid arguments".
        var w = _weight.Shape;
        if (g.Cout != w[0] || g.Cin != w[1] * _groups || g.Kh != w[2] || g.Kw != w[3])
            throw new ArgumentException($"A conv geometry of {g.Cin}->{g.Cout} {g.Kh}x{g.Kw} does not fit this conv's weights {w} with {_groups} groups.");
        var post = sum || relu ? new PostOps(relu ? [Alg.EltwiseRelu] : []) { Sum = sum } : null;
        bool int8 = Precision == Precision.Int8;
        // The scales act before ReLU, which commutes with a positive factor, so an int8 output divides them by its own scale.
        var scales = int8 ? new OutputScales(1 << 1, [.. _outputScales.Select(s => s / dstScale)]) : null;
        var p = DnnlLowPrecisionConv.Forward(g with { Groups = _groups }, SourceType, int8 ? Dt.S8 : Dt.Bf16, dstType, post, scales);
        var wanted = p.Query(Q.WeightsMd);
        nint buffer = (nint)BufferPool.Rent((int)((Md.Bytes(wanted) + 3) / 4), out int capacity);
        var plain = int8 ? DnnlLowPrecisionConv.PlainWeights(g, Dt.S8) : DnnlLowPrecisionConv.PlainWeights(g, Dt.F32);
        PrimitiveCache.Reorder(plain, int8 ? (nint)_quantizedWeights : (nint)_weight.Data, wanted, buffer);
        return new Kernel(p, buffer, capacity);
    }

    /// <summary>The implementation oneDNN picked for a geometry (e.g. "brg:avx512_core_bf16"), for reports and tests.</summary>
    public string Implementation(in ConvGeometry g) => Create(g, sum: false, relu: false, Dt.F32, 1f) is var k ? Release(k) : "";

    private static string Release(Kernel k)
    {
        string name = k.Primitive.Implementation;
        BufferPool.Return((void*)k.Weights, k.Capacity);
        k.Primitive.Dispose();
        return name;
    }

    public void Dispose()
    {
        foreach (var k in _kernels.Values)
        {
            if (!k.IsValueCreated) continue;
            BufferPool.Return((void*)k.Value.Weights, k.Value.Capacity);
            k.Value.Primitive.Dispose();
        }
        _kernels.Clear();
        if (_quantizedWeights != null) NativeMemory.AlignedFree(_quantizedWeights);
        _quantizedWeights = null;
    }
}
