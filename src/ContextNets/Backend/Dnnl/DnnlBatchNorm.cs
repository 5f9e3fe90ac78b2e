namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Batch normalization over [N, C, H, W] on oneDNN, always with scale and
/// shift (ones and zeros stand in when the layer has none). Data and its
/// gradients lie in one 4-D layout, because oneDNN describes source and
/// destination with one descriptor.
/// </summary>
internal static unsafe class DnnlBatchNorm
{
    private const uint Affine = NormFlags.UseScale | NormFlags.UseShift;

    /// <summary>
    /// y = scale * (x - mean) / sqrt(var + eps) + shift. With global statistics mean and
    /// var are read; without, the batch's mean and biased variance are written to them.
    /// <paramref name="recording"/> says a backward will follow, which wants a training forward.
    /// </summary>
    public static void Forward(Tensor x, Tensor y, float* scale, float* shift, float* mean, float* var, float eps, bool globalStats, bool recording)
    {
        // Batch statistics are outputs only of a training forward.
        var p = ForwardPrimitive(y.Shape, y.Format, eps, Flags(globalStats), recording || !globalStats);
        using var staging = new Staging();
        nint src = staging.Input(x, p.Query(Q.SrcMd));
        p.Execute([(Arg.Src, src), (Arg.Dst, (nint)y.Data), (Arg.Scale, (nint)scale), (Arg.Shift, (nint)shift),
            (Arg.Mean, (nint)mean), (Arg.Variance, (nint)var)]);
    }

    /// <summary>
    /// Gradients of x, scale and shift, given the statistics the forward used. oneDNN 2.6 wants
    /// the shift bound here too, although the gradients do not depend on it.
    /// </summary>
    public static void Backward(Tensor x, Tensor gy, Tensor gx, float* scale, float* shift, float* mean, float* var, float* diffScale, float* diffShift, float eps, bool globalStats)
    {
        var shape = gx.Shape;
        var format = gx.Format;
        uint flags = Flags(globalStats);
        var fwd = ForwardPrimitive(shape, format, eps, flags, training: true);
        var key = PrimitiveKey.For("bnorm_bwd").Add(shape.Dims).Add((int)format).Add(BitConverter.SingleToInt32Bits(eps)).Add(flags).Build();
        var p = PrimitiveCache.Get(key, () =>
        {
            var data = Data(shape, format);
            var desc = stackalloc byte[DnnlSizes.NormalizationDesc];
            DnnlRuntime.Check(DnnlNative.dnnl_batch_normalization_backward_desc_init(desc, Prop.Backward, &data, &data, eps, flags), Describe("backward", shape));
            return Primitive.Create(desc, Describe("creating backward", shape), fwd.Descriptor);
        });
        using var staging = new Staging();
        nint src = staging.Input(x, p.Query(Q.SrcMd));
        nint diffDst = staging.Input(gy, p.Query(Q.DiffDstMd));
        p.Execute([(Arg.Src, src), (Arg.DiffDst, diffDst), (Arg.Mean, (nint)mean), (Arg.Variance, (nint)var), (Arg.Scale, (nint)scale), (Arg.Shift, (nint)shift),
            (Arg.DiffSrc, (nint)gx.Data), (Arg.DiffScale, (nint)diffScale), (Arg.DiffShift, (nint)diffShift)]);
    }

    private static uint Flags(bool globalStats) => Affine | (globalStats ? NormFlags.UseGlobalStats : 0);

    private static Primitive ForwardPrimitive(Shape shape, MemoryFormat format, float eps, uint flags, bool training)
    {
        var key = PrimitiveKey.For("bnorm_fwd").Add(shape.Dims).Add((int)format).Add(BitConverter.SingleToInt32Bits(eps)).Add(flags).Add(training ? 1 : 0).Build();
        return PrimitiveCache.Get(key, () =>
        {
            var data = Data(shape, format);
            var desc = stackalloc byte[DnnlSizes.NormalizationDesc];
            DnnlRuntime.Check(DnnlNative.dnnl_batch_normalization_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, &data, eps, flags), Describe("forward", shape));
            return Primitive.Create(desc, Describe("creating forward", shape));
        });
    }

    private static MemoryDesc Data(Shape shape, MemoryFormat format) => Md.Strided(shape.Dims, Tensor.StridesFor(shape, format));

    private static string Describe(string what, Shape shape) => $"{what} batch normalization of {shape}";
}
