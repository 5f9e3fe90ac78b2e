namespace ContextNets.Backend.Dnnl;

/// <summary>
/// dst = src x weights (+ bias) on oneDNN matmul, batched over leading dims
/// with a batch dim of 1 on either side broadcast. Every operand is described
/// by its strides, so transposed and strided views go in as they lie.
/// </summary>
internal static unsafe class DnnlMatmul
{
    /// <summary>All three operands have one rank; bias, when given, is [N] added to every row of dst.</summary>
    public static void Run(MatOperand src, MatOperand weights, MatOperand dst, nint bias = 0)
    {
        var p = PrimitiveFor(src, weights, dst, hasBias: bias != 0);
        if (bias != 0) p.Execute([(Arg.Src, src.Ptr), (Arg.Weights, weights.Ptr), (Arg.Bias, bias), (Arg.Dst, dst.Ptr)]);
        else p.Execute([(Arg.Src, src.Ptr), (Arg.Weights, weights.Ptr), (Arg.Dst, dst.Ptr)]);
    }

    internal static Primitive PrimitiveFor(MatOperand src, MatOperand weights, MatOperand dst, bool hasBias)
    {
        var key = PrimitiveKey.For("matmul")
            .Add(src.Dims).Add(src.Strides).Add(weights.Dims).Add(weights.Strides).Add(dst.Dims).Add(dst.Strides)
            .Add(hasBias ? 1 : 0).Build();
        return PrimitiveCache.Get(key, () =>
        {
            var smd = Md.Strided(src.Dims, src.Strides);
            var wmd = Md.Strided(weights.Dims, weights.Strides);
            var dmd = Md.Strided(dst.Dims, dst.Strides);
            var biasDims = new int[dst.Dims.Length];
            Array.Fill(biasDims, 1);
            biasDims[^1] = dst.Dims[^1];
            var bmd = Md.Plain(biasDims);
            var desc = stackalloc byte[DnnlSizes.MatmulDesc];
            string what = Describe(src, weights);
            DnnlRuntime.Check(DnnlNative.dnnl_matmul_desc_init(desc, &smd, &wmd, hasBias ? &bmd : null, &dmd), what);
            return Primitive.Create(desc, "creating " + what);
        });
    }

    private static string Describe(in MatOperand a, in MatOperand b) =>
        $"matmul {Shape.Format(a.Dims)} (strides {Shape.Format(a.Strides)}) x {Shape.Format(b.Dims)} (strides {Shape.Format(b.Strides)})";
}
