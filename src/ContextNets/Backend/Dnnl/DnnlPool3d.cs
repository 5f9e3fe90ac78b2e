namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Max and average 3-D pooling (pooling_v2 over 5-D descriptors) on oneDNN. Source, destination and their gradients
/// lie in the geometry's clip layout. Max pooling in training keeps a workspace (where each maximum was) for its backward.
/// </summary>
internal static unsafe class DnnlPool3d
{
    /// <summary>Pools x into y; with <paramref name="training"/> and max pooling, returns the workspace the backward needs (the caller owns it).</summary>
    public static Tensor? Forward(in Pool3dGeometry g, Tensor x, Tensor y, bool training)
    {
        var p = ForwardPrimitive(g, training);
        using var staging = new Staging();
        nint src = staging.Input(x, p.Query(Q.SrcMd));
        if (!training || g.Alg != Alg.PoolingMax)
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
    public static void Backward(in Pool3dGeometry g, Tensor gy, Tensor? workspace, Tensor gx)
    {
        var geometry = g;
        var fwd = ForwardPrimitive(g, training: true);
        var key = PrimitiveKey.For("pool3d_bwd");
        g.AddTo(ref key);
        var p = PrimitiveCache.Get(key.Build(), () =>
        {
            var gsrc = Clip(geometry.InShape, geometry.Format);
            var gdst = Clip(geometry.OutShape, geometry.Format);
            var desc = stackalloc byte[DnnlSizes.PoolingV2Desc];
            long* sp = stackalloc long[15];
            geometry.Spatial(sp);
            DnnlRuntime.Check(DnnlNative.dnnl_pooling_v2_backward_desc_init(desc, geometry.Alg, &gsrc, &gdst, sp, sp + 3, sp + 6, sp + 9, sp + 12), $"backward {geometry}");
            return Primitive.Create(desc, $"creating backward {geometry}", fwd.Descriptor);
        });
        using var staging = new Staging();
        nint diffDst = staging.Input(gy, p.Query(Q.DiffDstMd));
        var produced = p.Query(Q.DiffSrcMd);
        nint diffSrc = staging.Output(gx, produced, out bool copy);
        if (g.Alg == Alg.PoolingMax)
        {
            if (workspace is null) throw new InvalidOperationException("3-D max pooling backward needs the forward's workspace.");
            p.Execute([(Arg.DiffDst, diffDst), (Arg.Workspace, (nint)workspace.Data), (Arg.DiffSrc, diffSrc)]);
        }
        else
        {
            p.Execute([(Arg.DiffDst, diffDst), (Arg.DiffSrc, diffSrc)]);
        }
        if (copy) Staging.CopyOut(produced, diffSrc, gx);
    }

    private static Primitive ForwardPrimitive(Pool3dGeometry g, bool training)
    {
        var key = PrimitiveKey.For("pool3d_fwd");
        g.AddTo(ref key);
        return PrimitiveCache.Get(key.Add(training ? 1 : 0).Build(), () =>
        {
            var src = Clip(g.InShape, g.Format);
            var dst = Clip(g.OutShape, g.Format);
            var desc = stackalloc byte[DnnlSizes.PoolingV2Desc];
            long* sp = stackalloc long[15];
            g.Spatial(sp);
            DnnlRuntime.Check(DnnlNative.dnnl_pooling_v2_forward_desc_init(desc, training ? Prop.ForwardTraining : Prop.ForwardInference, g.Alg,
                &src, &dst, sp, sp + 3, sp + 6, sp + 9, sp + 12), $"forward {g}");
            return Primitive.Create(desc, $"creating forward {g}");
        });
    }

    private static MemoryDesc Clip(Shape shape, MemoryFormat format) => Md.Strided(shape.Dims, Tensor.StridesFor(shape, format));
}
