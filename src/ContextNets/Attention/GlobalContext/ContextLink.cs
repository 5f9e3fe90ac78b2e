namespace ContextNets;

/// <summary>
/// Couples a context pooling with the fusion that consumes its context, for
/// one forward pass of a block. The fusion's backward runs first (the pooling
/// is upstream of it through the transform), and instead of writing its term
/// of grad x, gy * scale, it leaves gy and scale here; the pooling's backward
/// then writes the whole grad x in its own sweep. This saves a write and a
/// read-read-write accumulation over a tensor the size of x.
/// </summary>
internal sealed class ContextLink
{
    /// <summary>The x of the pooling, set when its backward will produce grad x.</summary>
    internal Tensor? Source { get; set; }

    internal Tensor? FusionGrad { get; set; }
    internal Tensor? FusionScale { get; set; }

    internal bool Claims(Tensor x) => ReferenceEquals(Source, x);

    /// <summary>Hands the fusion's gradient over (the caller disposes both) and forgets it.</summary>
    internal (Tensor? grad, Tensor? scale) Take()
    {
        var taken = (FusionGrad, FusionScale);
        FusionGrad = null;
        FusionScale = null;
        return taken;
    }
}
