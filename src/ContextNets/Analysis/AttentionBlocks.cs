using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Analysis;

/// <summary>An attention block of a model, by its dotted name in the module tree.</summary>
public sealed record AttentionBlock(string Name, Module Module, AttentionKind Kind)
{
    /// <summary>The block's class name: NonLocal, GlobalContext...</summary>
    public string Type => Module.GetType().Name;

    /// <summary>The block's short name (nl, snl, gc...), as <see cref="Blocks.FromConfig"/> knows it; the class name for a block of another kind.</summary>
    public string ShortName => (Module as IBlockFacets)?.BlockName ?? Type;

    public bool HasMap => Kind != AttentionKind.Gate;
}

public static class AttentionBlocks
{
    /// <summary>The blocks of <paramref name="model"/> that expose their attention (<see cref="IAttentionSource"/>), in module order.</summary>
    public static IReadOnlyList<AttentionBlock> Find(Module model) =>
        [.. model.NamedModules()
            .Where(m => m.module is IAttentionSource)
            .Select(m => new AttentionBlock(m.name.Length == 0 ? "(model)" : m.name, m.module, KindOf(m.module)))];

    // A source that is not one of the library's blocks has no map analysis knows how to read.
    private static AttentionKind KindOf(Module m) => m is IBlockFacets block ? block.Captures : AttentionKind.Gate;

    /// <summary>What an analysis of attention maps needs, for messages to users.</summary>
    public const string Needed = "a NonLocal (NL), SimplifiedNonLocal (SNL) or GlobalContext block with attention pooling (GC)";
}
