namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Post-ops fused into a primitive: with <see cref="Sum"/>, first dst = result + dst (a residual sum into a
/// destination that holds the shortcut), then the element-wise ops (ReLU after a conv, say).
/// </summary>
internal sealed unsafe class PostOps(params int[] eltwiseAlgs)
{
    public IReadOnlyList<int> EltwiseAlgs { get; } = eltwiseAlgs;

    public bool Sum { get; init; }

    public void ApplyTo(nint attr)
    {
        nint po;
        DnnlRuntime.Check(DnnlNative.dnnl_post_ops_create(&po), "creating post-ops");
        try
        {
            if (Sum) DnnlRuntime.Check(DnnlNative.dnnl_post_ops_append_sum(po, 1f), "appending a sum post-op");
            foreach (int alg in EltwiseAlgs)
                DnnlRuntime.Check(DnnlNative.dnnl_post_ops_append_eltwise(po, 1f, alg, 0f, 0f), "appending a post-op");
            DnnlRuntime.Check(DnnlNative.dnnl_primitive_attr_set_post_ops(attr, po), "setting post-ops");
        }
        finally
        {
            DnnlNative.dnnl_post_ops_destroy(po);
        }
    }
}
