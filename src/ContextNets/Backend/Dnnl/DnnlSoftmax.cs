namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Softmax and log-softmax over one axis on oneDNN softmax_v2. Every
/// descriptor is the tensor's own strides, so any layout and any axis go in
/// as they lie. The backward reads the forward's output, not its input.
/// </summary>
internal static unsafe class DnnlSoftmax
{
    public static void Forward(Tensor x, Tensor y, int axis, bool log, bool training)
    {
        var p = ForwardPrimitive(x, y, axis, log, training);
        p.Execute([(Arg.Src, (nint)x.Data), (Arg.Dst, (nint)y.Data)]);
    }

    /// <summary>gx from the output y and its gradient gy; gy must lie as y does.</summary>
    public static void Backward(Tensor y, Tensor gy, Tensor gx, int axis, bool log)
    {
        var fwd = ForwardPrimitive(y, y, axis, log, training: true);
        var key = PrimitiveKey.For("softmax_bwd").Add(y).Add(gy.Strides).Add(gx.Strides).Add(axis).Add(log ? 1 : 0).Build();
        var p = PrimitiveCache.Get(key, () =>
        {
            var dst = Md.Of(y);
            var diffDst = Md.Of(gy);
            var diffSrc = Md.Of(gx);
            var desc = stackalloc byte[DnnlSizes.SoftmaxV2Desc];
            DnnlRuntime.Check(DnnlNative.dnnl_softmax_v2_backward_desc_init(desc, Algorithm(log), &diffSrc, &diffDst, &dst, axis), Describe("backward", y, axis, log));
            return Primitive.Create(desc, Describe("creating backward", y, axis, log), fwd.Descriptor);
        });
        p.Execute([(Arg.Dst, (nint)y.Data), (Arg.DiffDst, (nint)gy.Data), (Arg.DiffSrc, (nint)gx.Data)]);
    }

    private static Primitive ForwardPrimitive(Tensor x, Tensor y, int axis, bool log, bool training)
    {
        var key = PrimitiveKey.For("softmax_fwd").Add(x).Add(y.Strides).Add(axis).Add(log ? 1 : 0).Add(training ? 1 : 0).Build();
        return PrimitiveCache.Get(key, () =>
        {
            var src = Md.Of(x);
            var dst = Md.Of(y);
            var desc = stackalloc byte[DnnlSizes.SoftmaxV2Desc];
            DnnlRuntime.Check(DnnlNative.dnnl_softmax_v2_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, Algorithm(log), &src, &dst, axis),
                Describe("forward", x, axis, log));
            return Primitive.Create(desc, Describe("creating forward", x, axis, log));
        });
    }

    private static int Algorithm(bool log) => log ? Alg.SoftmaxLog : Alg.SoftmaxAccurate;

    private static string Describe(string what, Tensor t, int axis, bool log) =>
        $"{what} {(log ? "log-softmax" : "softmax")} of {t.Shape} (strides {Shape.Format(t.Strides)}) over axis {axis}";
}
