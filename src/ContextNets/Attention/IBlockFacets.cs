using ContextNets.Export;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// Everything the rest of the library asks of an attention block, in one place, so that the profiler, the ONNX
/// exporter, attention analysis and the inference compiler never switch on block types: they find a block's facets
/// through this interface, and a new block edits none of them.
///
/// How a block implements it: the module class (config, timm keys, Forward, capture) declares
/// <c>IBlockFacets</c> and lives in its own folder under Attention/ with a <c>*Facets.cs</c> partial that holds
/// the four facets below (its cost formula, its ONNX emitter, its folded inference step), and its fused op and
/// kernels beside them. The one line outside the folder is its entry in <see cref="Blocks"/>, which builds it by
/// its short name from a JSON config (the block vectors' and saved runs' format).
/// </summary>
internal interface IBlockFacets : IAttentionSource
{
    /// <summary>The block's short name, as <see cref="Blocks.FromConfig"/>, the block vectors and file names know it: gc, snl, se, nl, splat, sk.</summary>
    string BlockName { get; }

    /// <summary>What <see cref="IAttentionSource.LastAttention"/> holds after a forward with capture on.</summary>
    AttentionKind Captures { get; }

    /// <summary>
    /// The output shape and operations of the block on <paramref name="input"/>, from its math, with nothing run.
    /// A block whose layers should appear in the profile as their own rows visits them through
    /// <paramref name="children"/> and adds what they report; the rest of its work it counts itself.
    /// </summary>
    (Shape output, OpCount ops) Cost(Shape input, IChildCosts children);

    /// <summary>Writes the block's eval-mode forward into <paramref name="graph"/>: x is its input, path its dotted name in the model.</summary>
    OnnxValue EmitOnnx(OnnxGraph graph, string path, OnnxValue x);

    /// <summary>
    /// The block as one step of the folded inference graph, built from its weights as they are now (the caller
    /// holds an eval-mode snapshot): the step owns whatever it folds, and a block with nothing to fold runs itself.
    /// </summary>
    IStep FoldForInference();
}

/// <summary>How a block's <see cref="IBlockFacets.Cost"/> has one of its layers counted as a row of the profile.</summary>
internal interface IChildCosts
{
    /// <summary>Counts <paramref name="child"/>, named <paramref name="name"/> under the block, on <paramref name="input"/>.</summary>
    (Shape output, OpCount ops) Visit(Module child, string name, Shape input);
}
