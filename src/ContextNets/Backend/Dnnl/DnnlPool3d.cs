namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Max and average 3-D pooling (pooling_v2 over 5-D descriptors) on oneDNN. Source, destination and their gradients
/// lie in the geometry's clip layout. Max pooling in training keeps a workspace (where each maximum was) for its backward.
/// </summary>
internal static unsafe class DnnlPool3d
{
    /// <summary>Pools x into y; with <paramref name="training"/> and max pooling, returns the workspace the backward needs (the caller owns it).</summary>
    public static Tensor? Forward(in Pool3dGeometry g, Tensor x, Tensor y, bool training) =>
        DnnlPool.Execute(ForwardPrimitive(g, training), g.Alg == Alg.PoolingMax, x, y, training);

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
        DnnlPool.ExecuteBackward(p, g.Alg == Alg.PoolingMax, gy, workspace, gx);
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
