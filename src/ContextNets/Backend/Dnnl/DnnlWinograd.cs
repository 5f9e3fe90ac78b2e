using System.Collections.Concurrent;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Winograd convolution: oneDNN's F(4x4, 3x3) kernels (F(2x2, 3x3) for inference at batch 1) for 3x3, stride-1,
/// padding-1, ungrouped convolutions, forward and both backwards, in blocked layouts of their choosing (the callers
/// reorder activations in and out). On this machine they ran the 3x3 convs of ResNet-50 2 to 2.7 times faster than
/// the direct kernels at batch 8 (8x64x56x56: forward 6.0 against 16.5 ms, backward data 6.2 against 16.7, backward
/// weights 7.7 against 20.0), while a reorder of such an activation took 0.2 ms. The results differ from the direct
/// kernels' by rounding only (relative 1e-6 on ResNet logits).
/// Every getter returns null when oneDNN has no Winograd kernel for the shape; that is remembered.
/// </summary>
internal static unsafe class DnnlWinograd
{
    private const int AlgWinograd = 2;
    private static readonly ConcurrentDictionary<PrimitiveKey, Lazy<Primitive?>> Primitives = new();

    /// <summary>
    /// Maps smaller than this on either side run on the direct kernels: a 4x4 output tile mostly computes padding
    /// there, and the weight transform of a new weight costs more than the conv. Measured on this machine (one
    /// thread, docs/models.md): at 1x1 and 2x2 Winograd took 1.04 to 26 times the direct kernel's time, from 4x4 up
    /// 0.40 to 1.20 times (above 1 only for 64 channels at batch 1). Settable for that benchmark (`bench
    /// winograd-sizes`), which measures below it.
    /// </summary>
    internal static int MinSide { get; set; } = 4;

    public static bool Applies(in ConvGeometry g) =>
        Engine.Winograd && g is { Kh: 3, Kw: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadH: 1, PadW: 1, Groups: 1 }
        && g.H >= MinSide && g.W >= MinSide;

    public static Primitive? Forward(ConvGeometry g, bool hasBias, bool training, PostOps? postOps)
    {
        var key = Key("wino_fwd", g).Add(hasBias ? 1 : 0).Add(training ? 1 : 0);
        if (postOps is not null)
        {
            key.Add(postOps.Sum ? -1 : 0);
            foreach (int a in postOps.EltwiseAlgs) key.Add(a);
        }
        return Get(key, () =>
        {
            var (src, wmd, bmd, dst) = (Md.Any(g.N, g.Cin, g.H, g.W), Md.Any(g.WeightDims), Md.Plain(g.Cout), Md.Any(g.OutShape.Dims));
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            Spatial(sp);
            if (DnnlNative.dnnl_dilated_convolution_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, AlgWinograd,
                    &src, &wmd, hasBias ? &bmd : null, &dst, sp, sp + 2, sp + 4, sp + 6) != 0) return null;
            return Create(desc, 0, postOps);
        });
    }

    public static Primitive? BackwardData(ConvGeometry g)
    {
        var hint = Forward(g, hasBias: false, training: true, postOps: null);
        if (hint is null) return null;
        return Get(Key("wino_bwd_data", g), () =>
        {
            var (gsrc, wmd, gdst) = (Md.Any(g.N, g.Cin, g.H, g.W), Md.Any(g.WeightDims), Md.Any(g.OutShape.Dims));
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            Spatial(sp);
            if (DnnlNative.dnnl_dilated_convolution_backward_data_desc_init(desc, AlgWinograd, &gsrc, &wmd, &gdst, sp, sp + 2, sp + 4, sp + 6) != 0) return null;
            return Create(desc, hint.Descriptor, null);
        });
    }

    public static Primitive? BackwardWeights(ConvGeometry g, bool hasBias)
    {
        var hint = Forward(g, hasBias, training: true, postOps: null);
        if (hint is null) return null;
        return Get(Key("wino_bwd_weights", g).Add(hasBias ? 1 : 0), () =>
        {
            var (src, gw, gb, gdst) = (Md.Any(g.N, g.Cin, g.H, g.W), Md.Any(g.WeightDims), Md.Plain(g.Cout), Md.Any(g.OutShape.Dims));
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            Spatial(sp);
            if (DnnlNative.dnnl_dilated_convolution_backward_weights_desc_init(desc, AlgWinograd, &src, &gw, hasBias ? &gb : null, &gdst, sp, sp + 2, sp + 4, sp + 6) != 0)
                return null;
            return Create(desc, hint.Descriptor, null);
        });
    }

    private static PrimitiveKey.Builder Key(string op, in ConvGeometry g)
    {
        var key = PrimitiveKey.For(op);
        g.AddTo(ref key);
        return key;
    }

    private static Primitive? Get(PrimitiveKey.Builder key, Func<Primitive?> create) =>
        Primitives.GetOrAdd(key.Build(), _ => new Lazy<Primitive?>(create, LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private static Primitive? Create(void* desc, nint hint, PostOps? postOps)
    {
        try
        {
            return Primitive.Create(desc, "creating a Winograd convolution", hint, postOps);
        }
        catch (DnnlException)
        {
            return null;
        }
    }

    // Stride 1, no dilation (oneDNN counts from 0), padding 1 on every side.
    private static void Spatial(long* sp)
    {
        sp[0] = sp[1] = 1;
        sp[2] = sp[3] = 0;
        sp[4] = sp[5] = sp[6] = sp[7] = 1;
    }
}
