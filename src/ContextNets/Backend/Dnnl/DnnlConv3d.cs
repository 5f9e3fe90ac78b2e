namespace ContextNets.Backend.Dnnl;

/// <summary>
/// 3-D convolution forward, backward-data and backward-weights on oneDNN over 5-D memory descriptors.
/// Clips and their gradients lie in the geometry's layout (inputs in another one are reordered into it);
/// weights are left to oneDNN (format any) and reordered once per version, as in <see cref="DnnlConv"/>.
/// oneDNN 2.6 has no Winograd kernel for 3-D, so every call runs its direct (or GEMM) kernels.
/// </summary>
internal static unsafe class DnnlConv3d
{
    public static void Forward(in Conv3dGeometry g, Tensor x, Tensor w, Tensor? bias, Tensor y, bool training)
    {
        var p = ForwardPrimitive(g, bias is not null, training);
        using var staging = new Staging();
        nint src = staging.Input(x, p.Query(Q.SrcMd));
        nint wts = WeightCache.Get(w, p.Query(Q.WeightsMd), PlainWeights(g));
        var dstMd = p.Query(Q.DstMd);
        nint dst = staging.Output(y, dstMd, out bool copy);
        if (bias is null) p.Execute([(Arg.Src, src), (Arg.Weights, wts), (Arg.Dst, dst)]);
        else p.Execute([(Arg.Src, src), (Arg.Weights, wts), (Arg.Bias, (nint)bias.Data), (Arg.Dst, dst)]);
        if (copy) Staging.CopyOut(dstMd, dst, y);
    }

    public static void BackwardData(in Conv3dGeometry g, Tensor gy, Tensor w, Tensor gx) =>
        DnnlConv.ExecuteBackwardData(BackwardDataPrimitive(g), PlainWeights(g), gy, w, gx);

    /// <summary>Gradients of the weights (row-major OIDHW) and bias.</summary>
    public static void BackwardWeights(in Conv3dGeometry g, Tensor x, Tensor gy, Tensor gw, Tensor? gb) =>
        DnnlConv.ExecuteBackwardWeights(BackwardWeightsPrimitive(g, gb is not null), PlainWeights(g), x, gy, gw, gb);

    private static Primitive ForwardPrimitive(Conv3dGeometry g, bool hasBias, bool training)
    {
        var key = PrimitiveKey.For("conv3d_fwd");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(hasBias ? 1 : 0).Add(training ? 1 : 0).Build(), () =>
        {
            var src = Clip(g.InShape, g.Format);
            var wmd = Md.Any(g.WeightDims);
            var bmd = Md.Plain(g.Cout);
            var dst = Clip(g.OutShape, g.Format);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[12];
            g.Spatial(sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, Alg.ConvolutionDirect,
                &src, &wmd, hasBias ? &bmd : null, &dst, sp, sp + 3, sp + 6, sp + 9), $"forward 3-D convolution {g}");
            return Primitive.Create(desc, $"creating forward 3-D convolution {g}");
        });
    }

    private static Primitive BackwardDataPrimitive(Conv3dGeometry g)
    {
        var key = PrimitiveKey.For("conv3d_bwd_data");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Build(), () =>
        {
            var fwd = ForwardPrimitive(g, hasBias: false, training: true);
            var gsrc = Clip(g.InShape, g.Format);
            var wmd = Md.Any(g.WeightDims);
            var gdst = Clip(g.OutShape, g.Format);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[12];
            g.Spatial(sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_backward_data_desc_init(desc, Alg.ConvolutionDirect, &gsrc, &wmd, &gdst, sp, sp + 3, sp + 6, sp + 9),
                $"backward-data 3-D convolution {g}");
            return Primitive.Create(desc, $"creating backward-data 3-D convolution {g}", fwd.Descriptor);
        });
    }

    private static Primitive BackwardWeightsPrimitive(Conv3dGeometry g, bool hasBias)
    {
        var key = PrimitiveKey.For("conv3d_bwd_weights");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(hasBias ? 1 : 0).Build(), () =>
        {
            var fwd = ForwardPrimitive(g, hasBias, training: true);
            var src = Clip(g.InShape, g.Format);
            var gwmd = Md.Any(g.WeightDims);
            var gbmd = Md.Plain(g.Cout);
            var gdst = Clip(g.OutShape, g.Format);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[12];
            g.Spatial(sp);
            DnnlRuntime.Check(DnnlNative.dnnl_dilated_convolution_backward_weights_desc_init(desc, Alg.ConvolutionDirect, &src, &gwmd, hasBias ? &gbmd : null, &gdst,
                sp, sp + 3, sp + 6, sp + 9), $"backward-weights 3-D convolution {g}");
            return Primitive.Create(desc, $"creating backward-weights 3-D convolution {g}", fwd.Descriptor);
        });
    }

    // Explicit clip layouts, as for 2-D: a source of format any sends oneDNN 2.6's training kernels to the reference path.
    private static MemoryDesc Clip(Shape shape, MemoryFormat format) => Md.Strided(shape.Dims, Tensor.StridesFor(shape, format));

    private static MemoryDesc PlainWeights(in Conv3dGeometry g) => Md.Strided(g.WeightDims, g.PlainWeightStrides);
}
