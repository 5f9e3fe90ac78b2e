namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Convolution forward, backward-data and backward-weights on oneDNN.
/// Activations and their gradients are given in the engine's activation
/// layout (inputs in another layout are reordered into it); weights are left
/// for oneDNN to lay out (format any) and reordered once per version.
/// 3x3 stride-1 convolutions run on the Winograd kernels (<see cref="DnnlWinograd"/>, and group by group for up to
/// four groups: <see cref="DnnlGroupedWinograd"/>) when <see cref="Engine.Winograd"/> is on, through reorders in and
/// out of their blocked layouts.
/// </summary>
internal static unsafe class DnnlConv
{
    public static void Forward(in ConvGeometry g, Tensor x, Tensor w, Tensor? bias, Tensor y, bool training, PostOps? postOps = null)
    {
        if (Engine.Bf16Convolutions) ExecuteForward(DnnlBf16Conv.Forward(g, bias is not null, training, postOps), g, x, w, bias, y, postOps);
        else if (!DnnlGroupedWinograd.Forward(g, x, w, bias, y, training, postOps))
            ExecuteForward((DnnlWinograd.Applies(g) ? DnnlWinograd.Forward(g, bias is not null, training, postOps) : null)
                ?? ForwardPrimitive(g, bias is not null, training, postOps), g, x, w, bias, y, postOps);
    }

    private static void ExecuteForward(Primitive p, in ConvGeometry g, Tensor x, Tensor w, Tensor? bias, Tensor y, PostOps? postOps)
    {
        if (!y.IsIn(Engine.ActivationFormat)) throw new ArgumentException($"conv2d writes its output {y.Shape} in the activation layout.");
        using var staging = new Staging();
        nint src = staging.Input(x, p.Query(Q.SrcMd));
        nint wts = WeightCache.Get(w, p.Query(Q.WeightsMd), PlainWeights(g));
        // A Winograd primitive keeps its own blocked layout: the output (and the sum post-op's start) goes through a buffer.
        var dstMd = p.Query(Q.DstMd);
        nint dst = staging.Output(y, dstMd, out bool copy);
        if (copy && postOps?.Sum == true) PrimitiveCache.Reorder(Md.Of(y), (nint)y.Data, dstMd, dst);
        if (bias is null) p.Execute([(Arg.Src, src), (Arg.Weights, wts), (Arg.Dst, dst)]);
        else p.Execute([(Arg.Src, src), (Arg.Weights, wts), (Arg.Bias, (nint)bias.Data), (Arg.Dst, dst)]);
        if (copy) Staging.CopyOut(dstMd, dst, y);
    }

    public static void BackwardData(in ConvGeometry g, Tensor gy, Tensor w, Tensor gx)
    {
        if (Engine.Bf16Convolutions)
        {
            ExecuteBackwardData(DnnlBf16Conv.BackwardData(g, gx.Strides.ToArray()), PlainWeights(g), gy, w, gx);
            return;
        }
        if (DnnlGroupedWinograd.BackwardData(g, gy, w, gx)) return;
        var p = (DnnlWinograd.Applies(g) ? DnnlWinograd.BackwardData(g) : null) ?? BackwardDataPrimitive(g, gx.Strides.ToArray());
        ExecuteBackwardData(p, PlainWeights(g), gy, w, gx);
    }

    /// <summary>Runs a backward-data primitive (2-D or 3-D): gx from gy and the weights, reordered as it asks.</summary>
    internal static void ExecuteBackwardData(Primitive p, in MemoryDesc plainWeights, Tensor gy, Tensor w, Tensor gx)
    {
        using var staging = new Staging();
        nint diffDst = staging.Input(gy, p.Query(Q.DiffDstMd));
        nint wts = WeightCache.Get(w, p.Query(Q.WeightsMd), plainWeights);
        var diffSrcMd = p.Query(Q.DiffSrcMd);
        nint diffSrc = staging.Output(gx, diffSrcMd, out bool copy);
        p.Execute([(Arg.DiffDst, diffDst), (Arg.Weights, wts), (Arg.DiffSrc, diffSrc)]);
        if (copy) Staging.CopyOut(diffSrcMd, diffSrc, gx);
    }

    /// <summary>
    /// The layout of the input gradient. For an input of a few channels (an image), oneDNN's channels-last
    /// backward-data pads the channels to 16 and runs five times slower than its row-major GEMM path, and a
    /// mixed layout falls back to the reference kernel; so such gradients are computed row-major throughout.
    /// </summary>
    public static MemoryFormat BackwardDataLayout(in ConvGeometry g) =>
        g.Cin < 16 && g.Groups == 1 ? MemoryFormat.Contiguous : Engine.ActivationFormat;

    internal static Primitive BackwardDataPrimitive(ConvGeometry g, int[] gxStrides)
    {
        var key = PrimitiveKey.For("conv_bwd_data");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(gxStrides).Build(), () =>
        {
            var fwd = ForwardPrimitive(g, hasBias: false, training: true, postOps: null);
            var gsrc = Md.Strided([g.N, g.Cin, g.H, g.W], gxStrides);
            var wmd = Md.Any(g.WeightDims);
            var gdst = Md.Strided(g.OutShape.Dims, Tensor.StridesFor(g.OutShape, BackwardDataLayout(g)));
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            Spatial(g, sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_backward_data_desc_init(desc, Alg.ConvolutionDirect, &gsrc, &wmd, &gdst, sp, sp + 2, sp + 4, sp + 6), Describe("backward-data", g));
            return Primitive.Create(desc, Describe("creating backward-data", g), fwd.Descriptor);
        });
    }

    /// <summary>Gradients of the weights (row-major OIHW) and bias.</summary>
    public static void BackwardWeights(in ConvGeometry g, Tensor x, Tensor gy, Tensor gw, Tensor? gb)
    {
        if (Engine.Bf16Convolutions && Engine.Bf16WeightGradients)
        {
            ExecuteBackwardWeights(DnnlBf16Conv.BackwardWeights(g, gb is not null), PlainWeights(g), x, gy, gw, gb);
            return;
        }
        if (DnnlGroupedWinograd.BackwardWeights(g, x, gy, gw, gb)) return;
        var p = (DnnlWinograd.Applies(g) ? DnnlWinograd.BackwardWeights(g, gb is not null) : null) ?? BackwardWeightsPrimitive(g, gb is not null);
        ExecuteBackwardWeights(p, PlainWeights(g), x, gy, gw, gb);
    }

    /// <summary>Runs a backward-weights primitive (2-D or 3-D), writing the weight gradient row-major and the bias's.</summary>
    internal static void ExecuteBackwardWeights(Primitive p, in MemoryDesc plainWeights, Tensor x, Tensor gy, Tensor gw, Tensor? gb)
    {
        using var staging = new Staging();
        nint srcPtr = staging.Input(x, p.Query(Q.SrcMd));
        nint diffDst = staging.Input(gy, p.Query(Q.DiffDstMd));
        var produced = p.Query(Q.DiffWeightsMd);
        bool copy = !Md.Equal(produced, plainWeights);
        nint gwPtr = copy ? staging.Buffer(produced) : (nint)gw.Data;
        if (gb is null) p.Execute([(Arg.Src, srcPtr), (Arg.DiffDst, diffDst), (Arg.DiffWeights, gwPtr)]);
        else p.Execute([(Arg.Src, srcPtr), (Arg.DiffDst, diffDst), (Arg.DiffWeights, gwPtr), (Arg.DiffBias, (nint)gb.Data)]);
        if (copy) PrimitiveCache.Reorder(produced, gwPtr, plainWeights, (nint)gw.Data);
    }

    internal static Primitive BackwardWeightsPrimitive(ConvGeometry g, bool hasBias)
    {
        var key = PrimitiveKey.For("conv_bwd_weights");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(hasBias ? 1 : 0).Build(), () =>
        {
            var fwd = ForwardPrimitive(g, hasBias, training: true, postOps: null);
            var src = Activation(new Shape(g.N, g.Cin, g.H, g.W));
            var gwmd = Md.Any(g.WeightDims);
            var gbmd = Md.Plain(g.Cout);
            var gdst = Activation(g.OutShape);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            Spatial(g, sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_backward_weights_desc_init(desc, Alg.ConvolutionDirect, &src, &gwmd, hasBias ? &gbmd : null, &gdst, sp, sp + 2, sp + 4, sp + 6), Describe("backward-weights", g));
            return Primitive.Create(desc, Describe("creating backward-weights", g), fwd.Descriptor);
        });
    }

    /// <summary>
    /// The forward primitive; its destination is always f32 in the activation layout. Its source and weights are
    /// <paramref name="operands"/>: f32, or bf16 for <see cref="DnnlBf16Conv"/>.
    /// </summary>
    internal static Primitive ForwardPrimitive(ConvGeometry g, bool hasBias, bool training, PostOps? postOps, int operands = Dt.F32)
    {
        var key = PrimitiveKey.For("conv_fwd");
        g.AddTo(ref key);
        key.Add(hasBias ? 1 : 0).Add(training ? 1 : 0).Add((int)Engine.ActivationFormat).Add(operands);
        if (postOps is not null)
        {
            key.Add(postOps.Sum ? -1 : 0);
            foreach (int a in postOps.EltwiseAlgs) key.Add(a);
        }
        return PrimitiveCache.Get(key.Build(), () =>
        {
            var src = Activation(new Shape(g.N, g.Cin, g.H, g.W), operands);
            var wmd = Md.Tagged(g.WeightDims, Tag.Any, operands);
            var bmd = Md.Plain(g.Cout);
            var dst = Activation(g.OutShape);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            Spatial(g, sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, Alg.ConvolutionDirect,
                &src, &wmd, hasBias ? &bmd : null, &dst, sp, sp + 2, sp + 4, sp + 6), Describe("forward", g));
            return Primitive.Create(desc, Describe("creating forward", g), postOps: postOps);
        });
    }

    // Explicit activation layouts: with format any for the source, oneDNN 2.6 falls back to its reference kernel for
    // channels-last training convolutions, while the explicit layout gets its JIT kernels.
    internal static MemoryDesc Activation(Shape shape, int type = Dt.F32) => Md.Strided(shape.Dims, Tensor.StridesFor(shape, Engine.ActivationFormat), type);

    private static MemoryDesc PlainWeights(in ConvGeometry g) => Md.Strided(g.WeightDims, g.PlainWeightStrides);

    // oneDNN counts dilation from 0 (no gap), PyTorch from 1; padding on the right is whatever makes the output size come out.
    internal static void Spatial(in ConvGeometry g, long* buf)
    {
        buf[0] = g.StrideH; buf[1] = g.StrideW;
        buf[2] = g.DilationH - 1; buf[3] = g.DilationW - 1;
        buf[4] = g.PadH; buf[5] = g.PadW;
        buf[6] = (g.OutH - 1) * g.StrideH + g.DilationH * (g.Kh - 1) + 1 - g.H - g.PadH;
        buf[7] = (g.OutW - 1) * g.StrideW + g.DilationW * (g.Kw - 1) + 1 - g.W - g.PadW;
    }

    private static string Describe(string what, in ConvGeometry g) =>
        $"{what} convolution {g.N}x{g.Cin}x{g.H}x{g.W} -> {g.Cout} ({g.Kh}x{g.Kw}, stride {g.StrideH}, pad {g.PadH}, dilation {g.DilationH}, groups {g.Groups})";
}
