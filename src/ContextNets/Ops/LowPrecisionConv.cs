using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

/// <summary>
/// A folded convolution's bf16 or int8 kernel. bf16: the input is rounded to bf16 on its way in, the weights once,
/// and the sums run in f32. int8: the input is quantized with its calibrated per-tensor scale, the weights
/// symmetrically per output channel (w_q = round(w / s_w[o]), s_w[o] = max|w[o]| / 127), the sums run in s32, and the
/// output scale s_x s_w[o] brings them back to f32 before the bias, the residual sum and ReLU (fused post-ops).
/// The output stays f32 in the activation layout, so that what follows (attention blocks, pooling, the classifier)
/// is unchanged. It reads the folded f32 weights and bias it was made from, which its owner keeps alive.
/// </summary>
internal sealed unsafe class LowPrecisionConv : IDisposable
{
    private readonly Tensor _weight, _bias;
    private readonly int _groups;
    private readonly ActivationQuantization _input;
    private readonly float[] _weightScales = [], _outputScales = [], _scaledBias = [];
    private sbyte* _quantizedWeights;
    private readonly ConcurrentDictionary<(int n, int h, int w, bool sum, bool relu), Lazy<Kernel>> _kernels = new();

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

    /// <summary>The conv of x into y (f32, activation layout), with the residual sum over y's values and ReLU as asked.</summary>
    public void Execute(in ConvGeometry g, Tensor x, Tensor y, bool sum, bool relu)
    {
        var geometry = g;
        var kernel = _kernels.GetOrAdd((g.N, g.H, g.W, sum, relu), _ => new Lazy<Kernel>(() => Create(geometry, sum, relu), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
        var p = kernel.Primitive;
        using var staging = new Staging();
        var srcMd = p.Query(Q.SrcMd);
        nint src = staging.Buffer(srcMd);
        DnnlLowPrecisionConv.Convert(x, srcMd, src, Precision == Precision.Int8 ? 1f / _input.Scale : 1f);
        var dstMd = p.Query(Q.DstMd);
        nint dst = staging.Output(y, dstMd, out bool copy);
        if (copy && sum) PrimitiveCache.Reorder(Md.Of(y), (nint)y.Data, dstMd, dst);
        nint bias;
        fixed (float* scaled = _scaledBias)
        {
            bias = Precision == Precision.Int8 ? (nint)scaled : (nint)_bias.Data;
            p.Execute([(Arg.Src, src), (Arg.Weights, kernel.Weights), (Arg.Bias, bias), (Arg.Dst, dst)]);
        }
        if (copy) Staging.CopyOut(dstMd, dst, y);
    }

    private Kernel Create(ConvGeometry g, bool sum, bool relu)
    {
        // A geometry of another conv would make oneDNN's weight reorder fail with a bare "invalid arguments".
        var w = _weight.Shape;
        if (g.Cout != w[0] || g.Cin != w[1] * _groups || g.Kh != w[2] || g.Kw != w[3])
            throw new ArgumentException($"A conv geometry of {g.Cin}->{g.Cout} {g.Kh}x{g.Kw} does not fit this conv's weights {w} with {_groups} groups.");
        var post = sum || relu ? new PostOps(relu ? [Alg.EltwiseRelu] : []) { Sum = sum } : null;
        bool int8 = Precision == Precision.Int8;
        int srcType = !int8 ? Dt.Bf16 : _input.Unsigned ? Dt.U8 : Dt.S8;
        var scales = int8 ? new OutputScales(1 << 1, _outputScales) : null;
        var p = DnnlLowPrecisionConv.Forward(g with { Groups = _groups }, srcType, int8 ? Dt.S8 : Dt.Bf16, post, scales);
        var wanted = p.Query(Q.WeightsMd);
        nint buffer = (nint)BufferPool.Rent((int)((Md.Bytes(wanted) + 3) / 4), out int capacity);
        var plain = int8 ? DnnlLowPrecisionConv.PlainWeights(g, Dt.S8) : DnnlLowPrecisionConv.PlainWeights(g, Dt.F32);
        PrimitiveCache.Reorder(plain, int8 ? (nint)_quantizedWeights : (nint)_weight.Data, wanted, buffer);
        return new Kernel(p, buffer, capacity);
    }

    /// <summary>The implementation oneDNN picked for a geometry (e.g. "brg:avx512_core_bf16"), for reports and tests.</summary>
    public string Implementation(in ConvGeometry g) => Create(g, sum: false, relu: false) is var k ? Release(k) : "";

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
