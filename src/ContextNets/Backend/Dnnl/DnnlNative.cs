using System.Runtime.InteropServices;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// The oneDNN 2.6 C API (Debian 12's libdnnl2), only the calls we use. Op
/// descriptors are passed as opaque byte buffers of the sizes in
/// <see cref="DnnlSizes"/>; only oneDNN reads them.
/// </summary>
internal static unsafe partial class DnnlNative
{
    public const string Library = "dnnl";

    [LibraryImport(Library)] public static partial int dnnl_engine_create(nint* engine, int kind, nuint index);
    [LibraryImport(Library)] public static partial int dnnl_stream_create(nint* stream, nint engine, uint flags);
    [LibraryImport(Library)] public static partial int dnnl_stream_destroy(nint stream);
    [LibraryImport(Library)] public static partial int dnnl_stream_wait(nint stream);
    [LibraryImport(Library)] public static partial DnnlVersion* dnnl_version();
    [LibraryImport(Library)] public static partial int dnnl_get_effective_cpu_isa();

    [LibraryImport(Library)] public static partial int dnnl_memory_desc_init_by_strides(MemoryDesc* md, int ndims, long* dims, int dataType, long* strides);
    [LibraryImport(Library)] public static partial int dnnl_memory_desc_init_by_tag(MemoryDesc* md, int ndims, long* dims, int dataType, int tag);
    [LibraryImport(Library)] public static partial int dnnl_memory_desc_equal(MemoryDesc* a, MemoryDesc* b);
    [LibraryImport(Library)] public static partial nuint dnnl_memory_desc_get_size(MemoryDesc* md);
    [LibraryImport(Library)] public static partial int dnnl_memory_create(nint* memory, MemoryDesc* md, nint engine, void* handle);
    [LibraryImport(Library)] public static partial int dnnl_memory_set_data_handle(nint memory, void* handle);
    [LibraryImport(Library)] public static partial int dnnl_memory_destroy(nint memory);

    [LibraryImport(Library)] public static partial int dnnl_primitive_attr_create(nint* attr);
    [LibraryImport(Library)] public static partial int dnnl_primitive_attr_destroy(nint attr);
    [LibraryImport(Library)] public static partial int dnnl_primitive_attr_set_scratchpad_mode(nint attr, int mode);
    [LibraryImport(Library)] public static partial int dnnl_primitive_attr_set_post_ops(nint attr, nint postOps);
    [LibraryImport(Library)] public static partial int dnnl_primitive_attr_set_output_scales(nint attr, long count, int mask, float* scales);
    [LibraryImport(Library)] public static partial int dnnl_post_ops_create(nint* postOps);
    [LibraryImport(Library)] public static partial int dnnl_post_ops_destroy(nint postOps);
    [LibraryImport(Library)] public static partial int dnnl_post_ops_append_eltwise(nint postOps, float scale, int alg, float alpha, float beta);
    [LibraryImport(Library)] public static partial int dnnl_post_ops_append_sum(nint postOps, float scale);

    [LibraryImport(Library)] public static partial int dnnl_primitive_desc_create(nint* pd, void* opDesc, nint attr, nint engine, nint hintForwardPd);
    [LibraryImport(Library)] public static partial int dnnl_primitive_desc_destroy(nint pd);
    [LibraryImport(Library)] public static partial MemoryDesc* dnnl_primitive_desc_query_md(nint pd, int what, int index);
    [LibraryImport(Library)] public static partial int dnnl_primitive_desc_query(nint pd, int what, int index, void* result);
    [LibraryImport(Library)] public static partial int dnnl_primitive_create(nint* primitive, nint pd);
    [LibraryImport(Library)] public static partial int dnnl_primitive_destroy(nint primitive);
    [LibraryImport(Library)] public static partial int dnnl_primitive_execute(nint primitive, nint stream, int nargs, ExecArg* args);

    [LibraryImport(Library)] public static partial int dnnl_reorder_primitive_desc_create(nint* pd, MemoryDesc* src, nint srcEngine, MemoryDesc* dst, nint dstEngine, nint attr);

    [LibraryImport(Library)]
    public static partial int dnnl_dilated_convolution_forward_desc_init(void* desc, int prop, int alg, MemoryDesc* src, MemoryDesc* weights, MemoryDesc* bias, MemoryDesc* dst, long* strides, long* dilates, long* padL, long* padR);
    [LibraryImport(Library)]
    public static partial int dnnl_dilated_convolution_backward_data_desc_init(void* desc, int alg, MemoryDesc* diffSrc, MemoryDesc* weights, MemoryDesc* diffDst, long* strides, long* dilates, long* padL, long* padR);
    [LibraryImport(Library)]
    public static partial int dnnl_dilated_convolution_backward_weights_desc_init(void* desc, int alg, MemoryDesc* src, MemoryDesc* diffWeights, MemoryDesc* diffBias, MemoryDesc* diffDst, long* strides, long* dilates, long* padL, long* padR);

    [LibraryImport(Library)]
    public static partial int dnnl_pooling_v2_forward_desc_init(void* desc, int prop, int alg, MemoryDesc* src, MemoryDesc* dst, long* strides, long* kernel, long* dilation, long* padL, long* padR);
    [LibraryImport(Library)]
    public static partial int dnnl_pooling_v2_backward_desc_init(void* desc, int alg, MemoryDesc* diffSrc, MemoryDesc* diffDst, long* strides, long* kernel, long* dilation, long* padL, long* padR);

    [LibraryImport(Library)] public static partial int dnnl_batch_normalization_forward_desc_init(void* desc, int prop, MemoryDesc* data, float eps, uint flags);
    [LibraryImport(Library)] public static partial int dnnl_batch_normalization_backward_desc_init(void* desc, int prop, MemoryDesc* diffData, MemoryDesc* data, float eps, uint flags);
    [LibraryImport(Library)] public static partial int dnnl_layer_normalization_forward_desc_init(void* desc, int prop, MemoryDesc* data, MemoryDesc* stat, float eps, uint flags);
    [LibraryImport(Library)] public static partial int dnnl_layer_normalization_backward_desc_init(void* desc, int prop, MemoryDesc* diffData, MemoryDesc* data, MemoryDesc* stat, float eps, uint flags);

    [LibraryImport(Library)] public static partial int dnnl_eltwise_forward_desc_init(void* desc, int prop, int alg, MemoryDesc* data, float alpha, float beta);
    [LibraryImport(Library)] public static partial int dnnl_eltwise_backward_desc_init(void* desc, int alg, MemoryDesc* diffData, MemoryDesc* data, float alpha, float beta);
    [LibraryImport(Library)] public static partial int dnnl_softmax_v2_forward_desc_init(void* desc, int prop, int alg, MemoryDesc* src, MemoryDesc* dst, int axis);
    [LibraryImport(Library)] public static partial int dnnl_softmax_v2_backward_desc_init(void* desc, int alg, MemoryDesc* diffSrc, MemoryDesc* diffDst, MemoryDesc* dst, int axis);
    [LibraryImport(Library)] public static partial int dnnl_matmul_desc_init(void* desc, MemoryDesc* src, MemoryDesc* weights, MemoryDesc* bias, MemoryDesc* dst);
    [LibraryImport(Library)] public static partial int dnnl_binary_desc_init(void* desc, int alg, MemoryDesc* src0, MemoryDesc* src1, MemoryDesc* dst);
}
