namespace ContextNets.Models;

/// <summary>
/// Operation counts of a part of a network for one forward pass.
/// <see cref="Macs"/> are the multiply-adds of convolutions, linear layers and the attention blocks' matrix products
/// (attention pooling, the pairwise products of the non-local block): what timm, fvcore and thop print as MACs or
/// "FLOPs". <see cref="Flops"/> is twice that, one multiply and one add. <see cref="OtherOps"/> counts the elementwise
/// work beside them, one per arithmetic operation: BatchNorm 2 per element (scale, shift), LayerNorm 5, bias adds,
/// pooling (one per window element), residual and fusion adds and products, softmax 3 per element (exp, sum, divide),
/// sigmoid 1. Activations (ReLU) are not counted, as in fvcore.
/// </summary>
public readonly record struct OpCount(long Macs, long OtherOps)
{
    public double Flops => 2.0 * Macs;
    public double GMacs => Macs / 1e9;
    public double GFlops => Flops / 1e9;

    public static OpCount operator +(OpCount a, OpCount b) => new(a.Macs + b.Macs, a.OtherOps + b.OtherOps);
    public static OpCount operator -(OpCount a, OpCount b) => new(a.Macs - b.Macs, a.OtherOps - b.OtherOps);
}

/// <summary>One module of a profile: its dotted name ("" for the network), type, shapes, parameters and counts (children included).</summary>
public sealed record ModuleProfile(string Name, string Type, Shape Input, Shape Output, long Params, OpCount Ops, bool IsAttention);

/// <summary>The counts of every module of a network for one input shape.</summary>
public sealed class ModelProfile
{
    internal ModelProfile(Shape input, IReadOnlyList<ModuleProfile> modules)
    {
        Input = input;
        Modules = modules;
        Total = modules.Single(m => m.Name.Length == 0);
    }

    public Shape Input { get; }

    /// <summary>Every module the walk visited, parents before children.</summary>
    public IReadOnlyList<ModuleProfile> Modules { get; }

    /// <summary>The whole network.</summary>
    public ModuleProfile Total { get; }

    /// <summary>The network's own children (stem, stages, classifier), and "(head)" for what the network does itself (the global pool).</summary>
    public IEnumerable<ModuleProfile> TopLevel => Modules.Where(m => m.Name.Length > 0 && !m.Name.Contains('.'));

    /// <summary>The attention blocks (GC, SE, SNL, NL, split attention, selective kernel), outermost only.</summary>
    public IEnumerable<ModuleProfile> Attention =>
        Modules.Where(m => m.IsAttention && !Modules.Any(o => o.IsAttention && o != m && m.Name.StartsWith(o.Name + ".", StringComparison.Ordinal)));

    public ModuleProfile this[string name] =>
        Modules.FirstOrDefault(m => m.Name == name) ?? throw new KeyNotFoundException($"The profile has no module '{name}'.");
}
