namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Grouped 3x3 stride-1 convolutions with a few groups (ResNeSt's split attention: radix 2) as one Winograd
/// convolution per group on channel slices, which oneDNN reorders from and into directly. oneDNN has no grouped
/// Winograd kernel, and its grouped direct kernel ran these 2.5 times slower. Each method returns false, having done
/// nothing, when the shape does not qualify or oneDNN lacks the kernel.
/// </summary>
internal static unsafe class DnnlGroupedWinograd
{
    private const int MaxGroups = 4;

    public static bool Forward(in ConvGeometry g, Tensor x, Tensor w, Tensor? bias, Tensor y, bool training, PostOps? postOps)
    {
        if (!PerGroup(g, out var one) || DnnlWinograd.Forward(one, bias is not null, training, postOps) is not { } p) return false;
        for (int k = 0; k < g.Groups; k++)
        {
            using var xk = Slice(x, k * one.Cin, one.Cin);
            using var yk = Slice(y, k * one.Cout, one.Cout);
            using var wk = Weights(w, one, k);
            using var staging = new Staging();
            nint src = staging.Input(xk, p.Query(Q.SrcMd));
            nint wts = staging.Input(wk, p.Query(Q.WeightsMd));
            var dstMd = p.Query(Q.DstMd);
            nint dst = staging.Output(yk, dstMd, out bool copy);
            if (copy && postOps?.Sum == true) PrimitiveCache.Reorder(Md.Of(yk), (nint)yk.Data, dstMd, dst);
            if (bias is null) p.Execute([(Arg.Src, src), (Arg.Weights, wts), (Arg.Dst, dst)]);
            else p.Execute([(Arg.Src, src), (Arg.Weights, wts), (Arg.Bias, (nint)(bias.Data + k * one.Cout)), (Arg.Dst, dst)]);
            if (copy) Staging.CopyOut(dstMd, dst, yk);
        }
        return true;
    }

    public static bool BackwardData(in ConvGeometry g, Tensor gy, Tensor w, Tensor gx)
    {
        if (!PerGroup(g, out var one) || DnnlWinograd.BackwardData(one) is not { } p) return false;
        for (int k = 0; k < g.Groups; k++)
        {
            using var gyk = Slice(gy, k * one.Cout, one.Cout);
            using var gxk = Slice(gx, k * one.Cin, one.Cin);
            using var wk = Weights(w, one, k);
            using var staging = new Staging();
            nint diffDst = staging.Input(gyk, p.Query(Q.DiffDstMd));
            nint wts = staging.Input(wk, p.Query(Q.WeightsMd));
            var diffSrcMd = p.Query(Q.DiffSrcMd);
            nint diffSrc = staging.Output(gxk, diffSrcMd, out bool copy);
            p.Execute([(Arg.DiffDst, diffDst), (Arg.Weights, wts), (Arg.DiffSrc, diffSrc)]);
            if (copy) Staging.CopyOut(diffSrcMd, diffSrc, gxk);
        }
        return true;
    }

    /// <summary>Weight (row-major OIHW: each group's block is contiguous) and bias gradients, group by group.</summary>
    public static bool BackwardWeights(in ConvGeometry g, Tensor x, Tensor gy, Tensor gw, Tensor? gb)
    {
        if (!PerGroup(g, out var one) || DnnlWinograd.BackwardWeights(one, gb is not null) is not { } p) return false;
        var plain = Md.Strided(one.WeightDims, one.PlainWeightStrides);
        for (int k = 0; k < g.Groups; k++)
        {
            using var xk = Slice(x, k * one.Cin, one.Cin);
            using var gyk = Slice(gy, k * one.Cout, one.Cout);
            using var staging = new Staging();
            nint src = staging.Input(xk, p.Query(Q.SrcMd));
            nint diffDst = staging.Input(gyk, p.Query(Q.DiffDstMd));
            var produced = p.Query(Q.DiffWeightsMd);
            nint target = (nint)(gw.Data + (long)k * one.Cout * one.Cin * 9);
            bool copy = !Md.Equal(produced, plain);
            nint gwPtr = copy ? staging.Buffer(produced) : target;
            if (gb is null) p.Execute([(Arg.Src, src), (Arg.DiffDst, diffDst), (Arg.DiffWeights, gwPtr)]);
            else p.Execute([(Arg.Src, src), (Arg.DiffDst, diffDst), (Arg.DiffWeights, gwPtr), (Arg.DiffBias, (nint)(gb.Data + k * one.Cout))]);
            if (copy) PrimitiveCache.Reorder(produced, gwPtr, plain, target);
        }
        return true;
    }

    private static bool PerGroup(in ConvGeometry g, out ConvGeometry one)
    {
        one = g with { Cin = g.Cin / g.Groups, Cout = g.Cout / g.Groups, Groups = 1 };
        return g.Groups is > 1 and <= MaxGroups && DnnlWinograd.Applies(one);
    }

    // Channels [first, first + count) of a 4-D tensor, as a view with its strides.
    private static Tensor Slice(Tensor t, int first, int count)
    {
        var strides = t.Strides.ToArray();
        return t.View(new Shape(t.Shape[0], count, t.Shape[2], t.Shape[3]), strides, first * strides[1]);
    }

    private static Tensor Weights(Tensor w, in ConvGeometry one, int group)
    {
        var shape = new Shape(one.Cout, one.Cin, 3, 3);
        return w.View(shape, shape.ContiguousStrides(), group * one.Cout * one.Cin * 9);
    }
}
