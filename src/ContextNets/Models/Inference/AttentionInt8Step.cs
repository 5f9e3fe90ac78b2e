using System.Numerics.Tensors;
using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Models.Inference;

/// <summary>
/// An attention block's step with its convs and matmuls simulated in int8 (<see cref="InferenceOptions.Int8Attention"/>):
/// the weights of the block's own convs (those not folded into the backbone's int8 convs: GC's context conv and
/// transform, SE's, NL's and criss-cross's projections, the split-attention and selective-kernel gates) are replaced by
/// their per-output-channel symmetric s8 values times their scales, exactly as the int8 kernels hold them, and a
/// block that reads its input map itself (all but split attention and selective kernel, whose input goes through
/// their folded int8 conv) reads it rounded to the 8-bit grid with a per-tensor scale taken from the tensor itself
/// (dynamic quantization: u8 when nothing is negative, symmetric s8 otherwise). The products then are those of int8
/// operands; their sums run in f32, within f32 rounding of the s32 sums. Biases, LayerNorms, softmaxes and the small
/// vectors inside a block stay f32.
/// </summary>
internal sealed class AttentionInt8Step : IStep
{
    private readonly IStep _inner;
    private readonly (Tensor weight, float[] f32, float[] int8)[] _weights;

    public AttentionInt8Step(Module block, IStep inner)
    {
        _inner = inner;
        Name = ((IBlockFacets)block).BlockName;
        var folded = inner.Convs.Select(c => c.Source).ToHashSet();
        ReadsInput = !folded.Any();
        _weights = [.. block.NamedModules().Select(m => m.module).OfType<Conv2d>().Where(c => !folded.Contains(c)).Select(c => Rounded(c.Weight))];
    }

    public string Name { get; }

    /// <summary>
    /// The block reads its input map itself and adds to it or scales it (GC, SE, NL, SNL, criss-cross), so the input is
    /// rounded; false for split attention and selective kernel, whose input goes through their folded int8 conv.
    /// </summary>
    public bool ReadsInput { get; }

    /// <summary>False: the block runs as in f32 (its f32 weights, its input as it comes), the reference its error is measured against.</summary>
    public bool Int8 { get; private set; }

    /// <summary>Called with every input: the error report watches the blocks through it.</summary>
    public Action<AttentionInt8Step, Tensor>? Observer { get; set; }

    public void Use(bool int8)
    {
        foreach (var (weight, f32, q) in _weights) weight.CopyFrom(int8 ? q : f32);
        Int8 = int8;
    }

    public Tensor Run(Tensor x)
    {
        Observer?.Invoke(this, x);
        if (!Int8 || !ReadsInput) return _inner.Run(x);
        using var rounded = RoundTrip(x);
        return _inner.Run(rounded);
    }

    /// <summary>x on the 8-bit grid of its own range: round(x / s) s, s = max|x| / 127 (s8) or max x / 255 (u8, nothing negative).</summary>
    public static Tensor RoundTrip(Tensor x)
    {
        using var dense = F.Materialize(x, Engine.ActivationFormat);
        var y = Tensor.Empty(x.Shape, Engine.ActivationFormat);
        ReadOnlySpan<float> v = dense.Span;
        bool unsigned = TensorPrimitives.Min(v) >= 0;
        float top = Math.Abs(TensorPrimitives.MaxMagnitude(v));
        if (top == 0)
        {
            v.CopyTo(y.Span);
            return y;
        }
        float scale = top / (unsigned ? 255 : 127), inverse = 1 / scale;
        var into = y.Span;
        for (int i = 0; i < v.Length; i++) into[i] = MathF.Round(v[i] * inverse) * scale;
        return y;
    }

    private static (Tensor, float[], float[]) Rounded(Tensor weight)
    {
        var f32 = weight.ToArray();
        int cout = weight.Shape[0];
        var scales = LowPrecisionConv.WeightScales(f32, cout);
        var q = new sbyte[f32.Length];
        LowPrecisionConv.QuantizeWeights(f32, scales, q);
        int perOut = f32.Length / cout;
        var int8 = new float[f32.Length];
        for (int i = 0; i < int8.Length; i++) int8[i] = q[i] * scales[i / perOut];
        return (weight, f32, int8);
    }

    public IEnumerable<FoldedConv> Convs => _inner.Convs;

    public void Dispose() => _inner.Dispose();
}
