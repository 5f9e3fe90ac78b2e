using ContextNets.Export;
using ContextNets.Export.Emit;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>What the profiler, the ONNX exporter, analysis and the inference compiler ask of an SNL block (<see cref="IBlockFacets"/>).</summary>
public sealed partial class SimplifiedNonLocal : IBlockFacets
{
    string IBlockFacets.BlockName => "snl";

    AttentionKind IBlockFacets.Captures => AttentionKind.Pooling;

    // The attention pooling, the transform (C -> C with bias) on the context, and the sum with x.
    (Shape output, OpCount ops) IBlockFacets.Cost(Shape input, IChildCosts children)
    {
        long c = input[1], p = ContextCosts.Positions(input);
        var ops = ContextCosts.AttentionPool(c, p) + new OpCount(c * c, c) + new OpCount(0, c * p);
        return (input, ContextCosts.PerBatch(input, ops));
    }

    OnnxValue IBlockFacets.EmitOnnx(OnnxGraph graph, string path, OnnxValue x)
    {
        ContextOnnx.Check("SimplifiedNonLocal", Channels, path, x);
        var ctx = ContextOnnx.AttentionPool(graph, ConvAttn, ModuleEmitter.Join(path, "conv_attn"), x);
        return Ops.Binary(graph, "Add", path, x, Layers.Conv(graph, Transform, ModuleEmitter.Join(path, "transform"), null, ctx));
    }

    // Nothing to fold: the fused pooling and fusion run as in training, in eval mode.
    IStep IBlockFacets.FoldForInference() => new ModuleStep(this);
}
