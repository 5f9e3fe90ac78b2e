namespace ContextNets.Backend.Dnnl;

/// <summary>
/// One side of a matmul as oneDNN sees it: dims [batch.., rows, cols], the
/// strides that place them in memory, and the data. A transpose is a swap of
/// the last two strides, so no operand is ever copied to be transposed.
/// </summary>
internal readonly record struct MatOperand(int[] Dims, int[] Strides, nint Ptr)
{
    public static unsafe MatOperand Of(Tensor t) => new(t.Shape.Dims.ToArray(), t.Strides.ToArray(), (nint)t.Data);

    /// <summary>A row-major tensor's values read as one [rows, cols] matrix.</summary>
    public static unsafe MatOperand Matrix(Tensor t, int rows, int cols) => new([rows, cols], [cols, 1], (nint)t.Data);

    /// <summary>The same memory seen with the last two dims swapped.</summary>
    public MatOperand T()
    {
        int r = Dims.Length;
        var d = (int[])Dims.Clone();
        var s = (int[])Strides.Clone();
        (d[r - 2], d[r - 1]) = (d[r - 1], d[r - 2]);
        (s[r - 2], s[r - 1]) = (s[r - 1], s[r - 2]);
        return new(d, s, Ptr);
    }

    /// <summary>Leading batch dims of size 1 up to the given rank, as broadcasting reads a missing dim.</summary>
    public MatOperand PadTo(int rank)
    {
        int pad = rank - Dims.Length;
        if (pad == 0) return this;
        var d = new int[rank];
        var s = new int[rank];
        long span = 1;
        for (int i = 0; i < Dims.Length; i++) span = Math.Max(span, (long)Dims[i] * Strides[i]);
        for (int i = 0; i < rank; i++)
        {
            d[i] = i < pad ? 1 : Dims[i - pad];
            s[i] = i < pad ? (int)span : Strides[i - pad];
        }
        return new(d, s, Ptr);
    }
}

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
