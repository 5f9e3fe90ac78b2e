using ContextNets.Autograd;

namespace ContextNets;

/// <summary>The autograd face of a tensor.</summary>
public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>True for leaves the user asked gradients for, and for results computed from them while gradients are on.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!value && GradFn is not null) throw new InvalidOperationException("Only a leaf tensor can stop requiring a gradient; use Detach().");
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf, after Backward.</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>
    /// Called on a leaf during <see cref="Backward"/> as soon as its gradient for that pass is final, while the rest of
    /// the graph is still being differentiated: data-parallel training starts averaging a bucket of gradients here.
    /// </summary>
    public Action<Tensor>? GradReady { get; set; }

    internal GradNode? GradFn { get; set; }
    public bool IsLeaf => GradFn is null;

    /// <summary>Back-propagates from this scalar (or with the given upstream gradient) into every leaf that requires a gradient.</summary>
    public void Backward(Tensor? gradient = null) => Tape.Backward(this, gradient);

    /// <summary>Drops the accumulated gradient.</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <summary>The same values, cut from the graph.</summary>
    public Tensor Detach() => Alias();
}
