using ContextNets.Backend.Managed;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Forward-inference convolutions in bf16 and int8. The source is given in bf16, u8 or
/// s8 in the activation layout, the weights in bf16 or s8 in the layout oneDNN picks, the bias in f32, the destination
/// in f32 or in the next conv's input type: the kernels accumulate in f32 (bf16) or s32 (int8), and the int8 sums
/// become real values (or the next conv's u8/s8 steps) through the per-output-channel output scales, before the
/// post-ops (the residual sum into the f32 shortcut, then ReLU).
/// The primitives are not cached here: their output scales belong to one layer, so each layer keeps its own.
/// </summary>
internal static unsafe class DnnlLowPrecisionConv
{
    public static Primitive Forward(in ConvGeometry g, int srcType, int weightType, int dstType, PostOps? postOps, OutputScales? scales)
    {
        ThreadSettings.ApplyOnThisThread();
        var src = Md.Strided([g.N, g.Cin, g.H, g.W], Tensor.StridesFor(new Shape(g.N, g.Cin, g.H, g.W), Engine.ActivationFormat), srcType);
        var wmd = Md.Tagged(g.WeightDims, Tag.Any, weightType);
        var bmd = Md.Plain(g.Cout);
        var dst = Md.Strided(g.OutShape.Dims, Tensor.StridesFor(g.OutShape, Engine.ActivationFormat), dstType);
        var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
        long* sp = stackalloc long[8];
        DnnlConv.Spatial(g, sp);
        string what = $"{TypeName(srcType)}->{TypeName(dstType)} convolution {g.N}x{g.Cin}x{g.H}x{g.W} -> {g.Cout} ({g.Kh}x{g.Kw}, stride {g.StrideH}, groups {g.Groups})";
        DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_forward_desc_init(desc, Prop.ForwardInference, Alg.ConvolutionDirect,
            &src, &wmd, &bmd, &dst, sp, sp + 2, sp + 4, sp + 6), what);
        return Primitive.Create(desc, "creating a " + what, postOps: postOps, scales: scales);
    }

    /// <summary>
    /// Converts a tensor's f32 values into <paramref name="type"/> in the layout <paramref name="wanted"/> describes,
    /// multiplied by <paramref name="scale"/> (1 for bf16), rounded to nearest even and saturated at the integer
    /// type's range. A dense tensor already in that layout takes one managed pass (<see cref="QuantizeKernels"/>);
    /// anything else takes oneDNN's reorder, which computes the same values.
    /// </summary>
    public static void Convert(Tensor from, in MemoryDesc wanted, int type, nint to, float scale)
    {
        var format = Engine.ActivationFormat;
        if (from.IsIn(format) && Md.Equal(wanted, Md.Strided(from.Shape.Dims, Tensor.StridesFor(from.Shape, format), type)))
        {
            if (type == Dt.Bf16) QuantizeKernels.ToBf16(from.Data, (ushort*)to, from.Numel);
            else QuantizeKernels.ToInt8(from.Data, (byte*)to, from.Numel, scale, unsigned: type == Dt.U8);
            return;
        }
        Reorder(from, wanted, to, scale);
    }

    /// <summary><see cref="Convert"/> by oneDNN's reorder whatever the layouts: the reference of the managed pass.</summary>
    public static void Reorder(Tensor from, in MemoryDesc wanted, nint to, float scale)
    {
        var have = Md.Of(from);
        var key = PrimitiveKey.For("convert");
        Md.AddTo(ref key, have);
        Md.AddTo(ref key, wanted);
        key.Add(BitConverter.SingleToInt32Bits(scale));
        var (s, d) = (have, wanted);
        var p = PrimitiveCache.Get(key.Build(), () => Primitive.Reorder(s, d, scale == 1f ? null : OutputScales.Common(scale)));
        p.Execute([(Arg.From, (nint)from.Data), (Arg.To, to)]);
    }

    /// <summary>Plain row-major weights of <paramref name="type"/> (g, oc, ic, kh, kw for grouped convs).</summary>
    public static MemoryDesc PlainWeights(in ConvGeometry g, int type) => Md.Strided(g.WeightDims, g.PlainWeightStrides, type);

    private static string TypeName(int type) => type switch
    {
        Dt.Bf16 => "bf16",
        Dt.U8 => "u8",
        Dt.S8 => "s8",
        _ => "f32",
    };
}
