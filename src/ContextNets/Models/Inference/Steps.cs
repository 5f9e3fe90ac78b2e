using ContextNets.NN;

namespace ContextNets.Models.Inference;

/// <summary>One stage of the inference graph: a new tensor from x, or x itself overwritten when the step may consume it.</summary>
internal interface IStep : IDisposable
{
    Tensor Run(Tensor x);

    /// <summary>The folded convs the step runs, in the order it runs them: what a lower precision applies to.</summary>
    IEnumerable<FoldedConv> Convs => [];

    /// <summary>
    /// The folded conv through which alone the step reads its input, if there is one: a conv before the step may then
    /// hand its output over in that conv's input format, and the step runs on it with <see cref="Run(LowActivation)"/>.
    /// </summary>
    FoldedConv? Reader => null;

    /// <summary>The step on an input its <see cref="Reader"/>'s input format holds.</summary>
    Tensor Run(LowActivation x) => throw new InvalidOperationException($"{GetType().Name} reads only f32 input.");
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

    public Tensor Run(LowActivation x) => conv.Run(x);

    public FoldedConv Reader => conv;

    public IEnumerable<FoldedConv> Convs => [conv];

    public void Dispose() => conv.Dispose();
}

/// <summary>
/// Steps in order, each intermediate freed as soon as the next step has read it. Two folded convs in a row hand the
/// value over in the second's input format when they may (<see cref="FoldedConv.CanFeed"/>: both bf16 or both int8),
/// and so does a conv before a step that reads its input through one conv (<see cref="IStep.Reader"/>).
/// </summary>
internal sealed class ChainStep(IReadOnlyList<IStep> steps) : IStep
{
    public Tensor Run(Tensor x) => Run(x, consumer: null).Y!;

    /// <summary>
    /// The steps on x, for <paramref name="consumer"/>, the conv that reads the chain's output (null: none): when the
    /// last step is a conv that can feed it, the output comes back in its input format (<c>Low</c>, and <c>Y</c> null).
    /// </summary>
    public (Tensor? Y, LowActivation? Low) Run(Tensor x, FoldedConv? consumer)
    {
        Tensor? h = x;
        LowActivation? low = null;
        try
        {
            for (int i = 0; i < steps.Count; i++)
            {
                var conv = (steps[i] as ConvStep)?.Conv;
                var reader = i + 1 < steps.Count ? steps[i + 1].Reader : consumer;
                if (conv is not null && reader is not null && conv.CanFeed(reader))
                {
                    var fed = low is null ? conv.RunFor(h!, reader) : conv.RunFor(low, reader);
                    Drop(ref h, ref low, x);
                    low = fed;
                    continue;
                }
                // Only a step whose reader was fed gets here with low set.
                var next = low is null ? steps[i].Run(h!) : steps[i].Run(low);
                if (!ReferenceEquals(next, h)) Drop(ref h, ref low, x);
                h = next;
            }
            return (h, low);
        }
        catch
        {
            low?.Dispose();
            throw;
        }
    }

    // Frees the value just read, but never the chain's input, which the caller owns (a residual block's shortcut reads it).
    private static void Drop(ref Tensor? h, ref LowActivation? low, Tensor input)
    {
        if (h is not null && !ReferenceEquals(h, input)) h.Dispose();
        h = null;
        low?.Dispose();
        low = null;
    }

    public IEnumerable<FoldedConv> Convs => steps.SelectMany(s => s.Convs);

    public void Dispose()
    {
        foreach (var s in steps) s.Dispose();
    }
}
