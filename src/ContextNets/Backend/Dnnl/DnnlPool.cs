namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Max and average pooling (pooling_v2) on oneDNN. Source, destination and
/// their gradients all lie in the geometry's activation layout, so the kernel
/// never mixes layouts. Max pooling in training keeps a workspace (where each
/// maximum was) for its backward.
/// </summary>
internal static unsafe class DnnlPool
{
    /// <summary>Pools x into y; with <paramref name="training"/> and max pooling, returns the workspace the backward needs (the caller owns it).</summary>
    public static Tensor? Forward(in PoolGeometry g, Tensor x, Tensor y, bool training) =>
        Execute(ForwardPrimitive(g, training), g.Alg == Alg.PoolingMax, x, y, training);

    /// <summary>Runs a pooling forward primitive (2-D or 3-D); with <paramref name="training"/> and max pooling, returns the workspace the backward needs (the caller owns it).</summary>
    internal static Tensor? Execute(Primitive p, bool max, Tensor x, Tensor y, bool training)
    {
        using var staging = new Staging();
        nint src = staging.Input(x, p.Query(Q.SrcMd));
        if (!training || !max)
        {
            p.Execute([(Arg.Src, src), (Arg.Dst, (nint)y.Data)]);
            return null;
        }
        long bytes = Md.Bytes(p.Query(Q.WorkspaceMd));
        var workspace = Tensor.Empty([(int)((bytes + sizeof(float) - 1) / sizeof(float))]);
        p.Execute([(Arg.Src, src), (Arg.Dst, (nint)y.Data), (Arg.Workspace, (nint)workspace.Data)]);
        return workspace;
    }

    /// <summary>gx = d(pool)/dx applied to gy; max pooling reads the forward's workspace.</summary>
    public static void Backward(in PoolGeometry g, Tensor gy, Tensor? workspace, Tensor gx)
    {
        var geometry = g;
        var fwd = ForwardPrimitive(g, training: true);
        var key = PrimitiveKey.For("pool_bwd");
        g.AddTo(ref key);
        var p = PrimitiveCache.Get(key.Build(), () =>
        {
            var gsrc = Activation(geometry.InShape, geometry.Format);
            var gdst = Activation(geometry.OutShape, geometry.Format);
            var desc = stackalloc byte[DnnlSizes.PoolingV2Desc];
            long* sp = stackalloc long[10];
            Spatial(geometry, sp);
            DnnlRuntime.Check(DnnlNative.dnnl_pooling_v2_backward_desc_init(desc, geometry.Alg, &gsrc, &gdst, sp, sp + 2, sp + 4, sp + 6, sp + 8), Describe("backward", geometry));
            return Primitive.Create(desc, Describe("creating backward", geometry), fwd.Descriptor);
        });
        ExecuteBackward(p, g.Alg == Alg.PoolingMax, gy, workspace, gx);
    }

    /// <summary>Runs a pooling backward primitive (2-D or 3-D); max pooling reads the forward's workspace.</summary>
    internal static void ExecuteBackward(Primitive p, bool max, Tensor gy, Tensor? workspace, Tensor gx)
    {
        using var staging = new Staging();
        nint diffDst = staging.Input(gy, p.Query(Q.DiffDstMd));
        var produced = p.Query(Q.DiffSrcMd);
        nint diffSrc = staging.Output(gx, produced, out bool copy);
        if (max)
        {
            if (workspace is null) throw new InvalidOperationException("Max pooling backward needs the forward's workspace.");
            p.Execute([(Arg.DiffDst, diffDst), (Arg.Workspace, (nint)workspace.Data), (Arg.DiffSrc, diffSrc)]);
        }
        else
        {
            p.Execute([(Arg.DiffDst, diffDst), (Arg.DiffSrc, diffSrc)]);
        }
        if (copy) Staging.CopyOut(produced, diffSrc, gx);
    }

    private static Primitive ForwardPrimitive(PoolGeometry g, bool training)
    {
        var key = PrimitiveKey.For("pool_fwd");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(training ? 1 : 0).Build(), () =>
        {
            var src = Activation(g.InShape, g.Format);
            var dst = Activation(g.OutShape, g.Format);
            var desc = stackalloc byte[DnnlSizes.PoolingV2Desc];
            long* sp = stackalloc long[10];
            Spatial(g, sp);
            DnnlRuntime.Check(DnnlNative.dnnl_pooling_v2_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, g.Alg,
                &src, &dst, sp, sp + 2, sp + 4, sp + 6, sp + 8), Describe("forward", g));
            return Primitive.Create(desc, Describe("creating forward", g));
        });
    }

    private static MemoryDesc Activation(Shape shape, MemoryFormat format) => Md.Strided(shape.Dims, Tensor.StridesFor(shape, format));

    // Padding is symmetric as in PyTorch, except that ceil mode reaches further into the bottom and right: that extra
    // padding goes to oneDNN as such, so excluded-padding averages and maxima see only the input, as in PyTorch.
    // oneDNN counts dilation from 0 (no gap), PyTorch from 1.
    private static void Spatial(in PoolGeometry g, long* buf)
    {
        buf[0] = g.StrideH; buf[1] = g.StrideW;
        buf[2] = g.Kh; buf[3] = g.Kw;
        buf[4] = g.DilationH - 1; buf[5] = g.DilationW - 1;
        buf[6] = g.PadH; buf[7] = g.PadW;
        buf[8] = g.PadBottom; buf[9] = g.PadRight;
    }

    private static string Describe(string what, in PoolGeometry g) =>
        $"{what} {(g.Alg == Alg.PoolingMax ? "max" : "average")} pooling {g.N}x{g.C}x{g.H}x{g.W} ({g.Kh}x{g.Kw}, stride {g.StrideH}x{g.StrideW}, pad {g.PadH}x{g.PadW}, dilation {g.DilationH}x{g.DilationW})";
}
