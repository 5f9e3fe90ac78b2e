using ContextNets.Export;
using ContextNets.Export.Emit;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>What the profiler, the ONNX exporter, analysis and the inference compiler ask of a split-attention block (<see cref="IBlockFacets"/>).</summary>
public sealed partial class SplitAttention : IBlockFacets
{
    string IBlockFacets.BlockName => "splat";

    AttentionKind IBlockFacets.Captures => AttentionKind.Gate;

    // conv, bn0 on the input; the gate's fc1, bn1, fc2 on the pooled [N, C, 1, 1]; then the pooling, the radix softmax and the weighted sum.
    (Shape output, OpCount ops) IBlockFacets.Cost(Shape input, IChildCosts children)
    {
        var (u, total) = children.Visit(Conv, "conv", input);
        total += children.Visit(Bn0, "bn0", u).ops;
        int n = input[0];
        var gate = new Shape(n, OutChannels, 1, 1);
        foreach (var (layer, name) in new (NN.Module, string)[] { (Fc1, "fc1"), (Bn1, "bn1"), (Fc2, "fc2") })
        {
            (gate, var ops) = children.Visit(layer, name, gate);
            total += ops;
        }
        var y = new Shape(n, OutChannels, u[2], u[3]);
        return (y, total + RadixCosts.Gate(n, Radix, OutChannels, u[2] * u[3]));
    }

    OnnxValue IBlockFacets.EmitOnnx(OnnxGraph graph, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != InChannels)
            throw new ArgumentException($"ONNX export at {path}: SplitAttention expects [N, {InChannels}, H, W], got {x.Shape}.");
        string P(string name) => ModuleEmitter.Join(path, name);
        var u = Layers.ConvBn(graph, Conv, P("conv"), Bn0, P("bn0"), x, relu: true);
        var gate = new RadixOnnx.Gate(Fc1, P("fc1"), Bn1, P("bn1"), Fc2, P("fc2"));
        return RadixOnnx.Attend(graph, path, u, Radix, Groups, gate);
    }

    IStep IBlockFacets.FoldForInference() => new SplitAttentionStep(this);
}
