namespace ContextNets.Backend.Dnnl;

/// <summary>
/// The three training convolutions with bf16 operands and f32 results, for <see cref="Engine.Bf16Convolutions"/>:
/// forward (bf16 source and weights, f32 destination), backward-data (bf16 output gradient and weights, f32 input
/// gradient) and backward-weights (bf16 source and output gradient, f32 weight and bias gradients). oneDNN
/// accumulates in f32 and has avx512_core_bf16 kernels for exactly these type combinations. The f32 tensors are
/// rounded to bf16 by the reorders that stage them (<see cref="Staging.Input"/>, and <see cref="WeightCache"/> once
/// per weight update), so the master weights, the activations and every gradient stay f32 in memory.
/// There is no bf16 Winograd in oneDNN 2.6: these are the direct kernels.
/// </summary>
internal static unsafe class DnnlBf16Conv
{
    public static Primitive Forward(ConvGeometry g, bool hasBias, bool training, PostOps? postOps) =>
        DnnlConv.ForwardPrimitive(g, hasBias, training, postOps, Dt.Bf16);

    public static Primitive BackwardData(ConvGeometry g, int[] gxStrides)
    {
        var key = PrimitiveKey.For("conv_bwd_data_bf16");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(gxStrides).Add((int)Engine.ActivationFormat).Build(), () =>
        {
            var fwd = Forward(g, hasBias: false, training: true, postOps: null);
            var gsrc = Md.Strided([g.N, g.Cin, g.H, g.W], gxStrides);
            var wmd = Md.Tagged(g.WeightDims, Tag.Any, Dt.Bf16);
            var gdst = DnnlConv.Activation(g.OutShape, Dt.Bf16);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            DnnlConv.Spatial(g, sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_backward_data_desc_init(desc, Alg.ConvolutionDirect, &gsrc, &wmd, &gdst, sp, sp + 2, sp + 4, sp + 6), Describe("backward-data", g));
            return Primitive.Create(desc, Describe("creating backward-data", g), fwd.Descriptor);
        });
    }

    public static Primitive BackwardWeights(ConvGeometry g, bool hasBias)
    {
        var key = PrimitiveKey.For("conv_bwd_weights_bf16");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(hasBias ? 1 : 0).Add((int)Engine.ActivationFormat).Build(), () =>
        {
            var fwd = Forward(g, hasBias, training: true, postOps: null);
            var src = Md.Tagged([g.N, g.Cin, g.H, g.W], Tag.Any, Dt.Bf16);
            var gwmd = Md.Tagged(g.WeightDims, Tag.Any, Dt.F32);
            var gbmd = Md.Plain(g.Cout);
            var gdst = Md.Tagged(g.OutShape.Dims, Tag.Any, Dt.Bf16);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            DnnlConv.Spatial(g, sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_backward_weights_desc_init(desc, Alg.ConvolutionDirect, &src, &gwmd, hasBias ? &gbmd : null, &gdst, sp, sp + 2, sp + 4, sp + 6), Describe("backward-weights", g));
            return Primitive.Create(desc, Describe("creating backward-weights", g), fwd.Descriptor);
        });
    }

    private static string Describe(string what, in ConvGeometry g) =>
        $"bf16 {what} convolution {g.N}x{g.Cin}x{g.H}x{g.W} -> {g.Cout} ({g.Kh}x{g.Kw}, stride {g.StrideH}, pad {g.PadH}, dilation {g.DilationH}, groups {g.Groups})";
}
