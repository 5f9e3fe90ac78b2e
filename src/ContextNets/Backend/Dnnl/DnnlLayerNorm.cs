namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Layer normalization on oneDNN over rows of a row-major [rows, D] buffer
/// (oneDNN normalizes the last logical dim), always with scale and shift.
/// </summary>
internal static unsafe class DnnlLayerNorm
{
    private const uint Flags = NormFlags.UseScale | NormFlags.UseShift;

    /// <summary>Normalizes each row; in training the rows' mean and variance are written for the backward, else they may be null.</summary>
    public static void Forward(float* src, float* dst, int rows, int d, float* scale, float* shift, float* mean, float* var, float eps, bool training)
    {
        var p = ForwardPrimitive(rows, d, eps, training);
        if (training)
            p.Execute([(Arg.Src, (nint)src), (Arg.Dst, (nint)dst), (Arg.Scale, (nint)scale), (Arg.Shift, (nint)shift), (Arg.Mean, (nint)mean), (Arg.Variance, (nint)var)]);
        else
            p.Execute([(Arg.Src, (nint)src), (Arg.Dst, (nint)dst), (Arg.Scale, (nint)scale), (Arg.Shift, (nint)shift)]);
    }

    /// <summary>Gradients of the rows, scale and shift. oneDNN 2.6 wants the shift bound here too, although the gradients do not depend on it.</summary>
    public static void Backward(float* src, float* diffDst, float* diffSrc, int rows, int d, float* scale, float* shift, float* mean, float* var,
        float* diffScale, float* diffShift, float eps)
    {
        var fwd = ForwardPrimitive(rows, d, eps, training: true);
        var key = PrimitiveKey.For("lnorm_bwd").Add(rows).Add(d).Add(BitConverter.SingleToInt32Bits(eps)).Build();
        var p = PrimitiveCache.Get(key, () =>
        {
            var data = Md.Plain(rows, d);
            var desc = stackalloc byte[DnnlSizes.NormalizationDesc];
            DnnlRuntime.Check(DnnlNative.dnnl_layer_normalization_backward_desc_init(desc, Prop.Backward, &data, &data, null, eps, Flags), Describe("backward", rows, d));
            return Primitive.Create(desc, Describe("creating backward", rows, d), fwd.Descriptor);
        });
        p.Execute([(Arg.Src, (nint)src), (Arg.DiffDst, (nint)diffDst), (Arg.Mean, (nint)mean), (Arg.Variance, (nint)var), (Arg.Scale, (nint)scale), (Arg.Shift, (nint)shift),
            (Arg.DiffSrc, (nint)diffSrc), (Arg.DiffScale, (nint)diffScale), (Arg.DiffShift, (nint)diffShift)]);
    }

    private static Primitive ForwardPrimitive(int rows, int d, float eps, bool training)
    {
        var key = PrimitiveKey.For("lnorm_fwd").Add(rows).Add(d).Add(BitConverter.SingleToInt32Bits(eps)).Add(training ? 1 : 0).Build();
        return PrimitiveCache.Get(key, () =>
        {
            var data = Md.Plain(rows, d);
            var desc = stackalloc byte[DnnlSizes.NormalizationDesc];
            DnnlRuntime.Check(DnnlNative.dnnl_layer_normalization_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, &data, null, eps, Flags),
                Describe("forward", rows, d));
            return Primitive.Create(desc, Describe("creating forward", rows, d));
        });
    }

    private static string Describe(string what, int rows, int d) => $"{what} layer normalization of {rows} rows of {d}";
}
