using ContextNets.Export;
using ContextNets.Export.Emit;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>What the profiler, the ONNX exporter, analysis and the inference compiler ask of an SE block (<see cref="IBlockFacets"/>).</summary>
public sealed partial class SqueezeExcite : IBlockFacets
{
    string IBlockFacets.BlockName => "se";

    AttentionKind IBlockFacets.Captures => AttentionKind.Gate;

    // The average pool, fc1 and fc2, the sigmoid on C values and the product with x.
    (Shape output, OpCount ops) IBlockFacets.Cost(Shape input, IChildCosts children)
    {
        long c = input[1], p = ContextCosts.Positions(input);
        var ops = ContextCosts.Pooled(c, p) + ContextCosts.Mlp(c, ReducedChannels, norm: false) + new OpCount(0, c + c * p);
        return (input, ContextCosts.PerBatch(input, ops));
    }

    OnnxValue IBlockFacets.EmitOnnx(OnnxGraph graph, string path, OnnxValue x)
    {
        ContextOnnx.Check("SqueezeExcite", Channels, path, x);
        var s = Ops.GlobalAveragePool(graph, path, x);
        s = Ops.Relu(graph, path, Layers.Conv(graph, Fc1, ModuleEmitter.Join(path, "fc1"), null, s));
        s = Ops.Sigmoid(graph, path, Layers.Conv(graph, Fc2, ModuleEmitter.Join(path, "fc2"), null, s));
        return Ops.Binary(graph, "Mul", path, x, s);
    }

    // Nothing to fold: the fused pooling and gate run as in training, in eval mode.
    IStep IBlockFacets.FoldForInference() => new ModuleStep(this);
}
