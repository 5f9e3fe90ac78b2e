using ContextNets.Export;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>What the profiler, the ONNX exporter, analysis and the inference compiler ask of a GC block (<see cref="IBlockFacets"/>).</summary>
public sealed partial class GlobalContext : IBlockFacets
{
    string IBlockFacets.BlockName => "gc";

    AttentionKind IBlockFacets.Captures => Pooling == ContextPooling.Attention ? AttentionKind.Pooling : AttentionKind.Gate;

    // The pooling, then per transform its MLP and its fusion (a sigmoid and a product per element for scale, a sum for add).
    (Shape output, OpCount ops) IBlockFacets.Cost(Shape input, IChildCosts children)
    {
        long c = input[1], p = ContextCosts.Positions(input);
        var ops = Pooling == ContextPooling.Attention ? ContextCosts.AttentionPool(c, p) : ContextCosts.Pooled(c, p);
        long rd = ReducedChannels;
        if (MlpScale is not null) ops += ContextCosts.Mlp(c, rd, norm: true) + new OpCount(0, c + c * p);
        if (MlpAdd is not null) ops += ContextCosts.Mlp(c, rd, norm: true) + new OpCount(0, c * p);
        return (input, ContextCosts.PerBatch(input, ops));
    }

    OnnxValue IBlockFacets.EmitOnnx(OnnxGraph graph, string path, OnnxValue x) => ContextOnnx.GlobalContext(graph, this, path, x);

    // Nothing to fold: the fused pooling and fusion run as in training, in eval mode.
    IStep IBlockFacets.FoldForInference() => new ModuleStep(this);
}
