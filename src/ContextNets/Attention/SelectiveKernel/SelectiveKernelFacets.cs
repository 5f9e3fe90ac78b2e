using ContextNets.Export;
using ContextNets.Export.Emit;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>What the profiler, the ONNX exporter, analysis and the inference compiler ask of a selective-kernel block (<see cref="IBlockFacets"/>).</summary>
public sealed partial class SelectiveKernel : IBlockFacets
{
    string IBlockFacets.BlockName => "sk";

    AttentionKind IBlockFacets.Captures => AttentionKind.Gate;

    (Shape output, OpCount ops) IBlockFacets.Cost(Shape input, IChildCosts children)
    {
        var pathInput = SplitInput ? input.With(1, input[1] / Paths) : input;
        var total = default(OpCount);
        var u = input;
        for (int p = 0; p < Paths; p++)
        {
            (u, var ops) = children.Visit(PathLayers[p], $"paths.{p}", pathInput);
            total += ops;
        }
        int n = input[0], c = OutChannels;
        // The gate's fc_reduce, bn and fc_select run on the pooled [N, C, 1, 1].
        total += children.Visit(Attn, "attn", new Shape(n, c, 1, 1)).ops;
        return (u, total + RadixCosts.Gate(n, Paths, c, u[2] * u[3]));
    }

    OnnxValue IBlockFacets.EmitOnnx(OnnxGraph graph, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != InChannels)
            throw new ArgumentException($"ONNX export at {path}: SelectiveKernel expects [N, {InChannels}, H, W], got {x.Shape}.");
        string P(string name) => ModuleEmitter.Join(path, name);
        int share = InChannels / Paths;
        var inputs = SplitInput
            ? graph.Ops("Split", P("paths"), [.. Enumerable.Repeat<int[]>([x.Dims[0], share, x.Dims[2], x.Dims[3]], Paths)],
                [x.Name, graph.Int64s([.. Enumerable.Repeat((long)share, Paths)])], OnnxAttr.Int("axis", 1))
            : [.. Enumerable.Repeat(x, Paths)];
        var outputs = new List<OnnxValue>();
        for (int p = 0; p < Paths; p++)
        {
            string pp = P($"paths.{p}");
            outputs.Add(Layers.ConvBn(graph, PathLayers[p].Conv, pp + ".conv", PathLayers[p].Bn, pp + ".bn", inputs[p], relu: true));
        }
        int[] first = outputs[0].Dims;
        if (outputs.Any(o => !o.Dims.SequenceEqual(first)))
            throw new InvalidOperationException($"ONNX export at {path}: the paths give different shapes ({string.Join(", ", outputs.Select(o => o.Shape))}).");
        var u = graph.Op("Concat", P("paths"), [first[0], first[1] * Paths, first[2], first[3]], outputs.Select(o => o.Name), OnnxAttr.Int("axis", 1));
        var gate = new RadixOnnx.Gate(Attn.FcReduce, P("attn.fc_reduce"), Attn.Bn, P("attn.bn"), Attn.FcSelect, P("attn.fc_select"));
        return RadixOnnx.Attend(graph, path, u, Paths, 1, gate);
    }

    IStep IBlockFacets.FoldForInference() => new SelectiveKernelStep(this);
}
