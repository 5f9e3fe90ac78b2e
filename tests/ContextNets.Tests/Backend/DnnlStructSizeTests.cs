using System.Runtime.CompilerServices;
using ContextNets.Backend.Dnnl;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Backend;

[Trait(Tier.Key, Tier.External)]
public class DnnlStructSizeTests
{
    [Fact]
    public void ManagedStructsHaveTheHeaderSizes()
    {
        Assert.Equal(DnnlSizes.MemoryDesc, Unsafe.SizeOf<MemoryDesc>());
        Assert.Equal(DnnlSizes.ExecArg, Unsafe.SizeOf<ExecArg>());
        Assert.Equal(DnnlSizes.Version, Unsafe.SizeOf<DnnlVersion>());
    }

    /// <summary>Compiles a probe against the installed headers, so the constants are checked against the real structs, not against themselves.</summary>
    [Fact]
    public void ConstantsMatchTheInstalledHeaders()
    {
        const string header = "/usr/include/oneapi/dnnl/dnnl.h";
        Assert.True(File.Exists(header), $"{header} is missing: install libdnnl-dev (./.ci/run does).");
        var lines = HeaderProbe.Run("""
            #include <stdio.h>
            #include <oneapi/dnnl/dnnl.h>
            int main(void) {
              printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu %zu\n",
                sizeof(dnnl_memory_desc_t), sizeof(dnnl_convolution_desc_t), sizeof(dnnl_pooling_v2_desc_t),
                sizeof(dnnl_batch_normalization_desc_t), sizeof(dnnl_eltwise_desc_t), sizeof(dnnl_softmax_v2_desc_t),
                sizeof(dnnl_matmul_desc_t), sizeof(dnnl_binary_desc_t), sizeof(dnnl_exec_arg_t), sizeof(dnnl_version_t));
              printf("%d %d %d %d %d %d %d\n", dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_scratchpad_md,
                dnnl_query_impl_info_str, dnnl_nhwc, dnnl_eltwise_logistic, dnnl_softmax_log);
              printf("%d %d %d %d %d\n", DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_SCRATCHPAD, DNNL_ARG_DIFF_SCALE, DNNL_ARG_WORKSPACE);
              return 0;
            }
            """);
        Assert.Equal(new long[]
        {
            DnnlSizes.MemoryDesc, DnnlSizes.ConvolutionDesc, DnnlSizes.PoolingV2Desc, DnnlSizes.NormalizationDesc,
            DnnlSizes.EltwiseDesc, DnnlSizes.SoftmaxV2Desc, DnnlSizes.MatmulDesc, DnnlSizes.BinaryDesc, DnnlSizes.ExecArg, DnnlSizes.Version,
        }, lines[0]);
        Assert.Equal(new long[] { Q.SrcMd, Q.WeightsMd, Q.ScratchpadMd, Q.ImplInfoStr, Tag.Acdb, Alg.EltwiseLogistic, Alg.SoftmaxLog }, lines[1]);
        Assert.Equal(new long[] { Arg.DiffSrc, Arg.DiffWeights, Arg.Scratchpad, Arg.DiffScale, Arg.Workspace }, lines[2]);
    }
}
