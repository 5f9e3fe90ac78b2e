using ContextNets.NN;

namespace ContextNets.Models.Inference;

/// <summary>One stage of the inference graph: a new tensor from x, or x itself overwritten when the step may consume it.</summary>
internal interface IStep : IDisposable
{
    Tensor Run(Tensor x);

    /// <summary>The folded convs the step runs, in the order it runs them: what a lower precision applies to.</summary>
    IEnumerable<FoldedConv> Convs => [];
}

/// <summary>A module of the model's private eval-mode copy, run as is (pools, and the attention blocks with nothing to fold).</summary>
internal sealed class ModuleStep(Module module) : IStep
{
    public Tensor Run(Tensor x) => module.Forward(x);

    public void Dispose() { }
}

internal sealed class ConvStep(FoldedConv conv) : IStep
{
    public FoldedConv Conv => conv;

    public Tensor Run(Tensor x) => conv.Run(x);

    public IEnumerable<FoldedConv> Convs => [conv];

    public void Dispose() => conv.Dispose();
}

/// <summary>Steps in order, each intermediate freed as soon as the next step has read it.</summary>
internal sealed class ChainStep(IReadOnlyList<IStep> steps) : IStep
{
    public Tensor Run(Tensor x)
    {
        var h = x;
        foreach (var step in steps)
        {
            var next = step.Run(h);
            if (!ReferenceEquals(h, x) && !ReferenceEquals(next, h)) h.Dispose();
            h = next;
        }
        return h;
    }

    public IEnumerable<FoldedConv> Convs => steps.SelectMany(s => s.Convs);

    public void Dispose()
    {
        foreach (var s in steps) s.Dispose();
    }
}
