using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Models.Inference;

/// <summary>
/// A residual block for inference: the branch with every conv-BN pair folded and its ReLU fused, the shortcut, then
/// ReLU(branch + shortcut). When the branch ends with its last conv-BN (no attention after it), the sum and the
/// ReLU are that conv's post-ops, written over the shortcut (over x itself for an identity shortcut: a block consumes
/// its input). The module after the block (non-local) follows.
/// </summary>
internal sealed class ResidualStep : IStep
{
    private readonly ChainStep _branch;
    private readonly FoldedConv? _fusedLast;
    private readonly IStep? _shortcut;
    private readonly IStep? _after;

    /// <param name="block">The block.</param>
    /// <param name="attention">Given an attention block and its folded step, the step to run in its place (int8 attention wraps it).</param>
    public ResidualStep(ResidualBlock block, Func<Module, IStep, IStep>? attention = null)
    {
        var children = block.NamedChildren()
            .Where(c => !ReferenceEquals(c.module, block.Downsample) && !ReferenceEquals(c.module, block.AfterBlock))
            .Select(c => c.module).ToList();
        var steps = Fold(children, lastRelu: false, attention);
        if (steps[^1] is ConvStep { } last && LastIsConvNorm(children))
        {
            steps.RemoveAt(steps.Count - 1);
            _fusedLast = last.Conv;
        }
        _branch = new ChainStep(steps);
        if (block.Downsample is { } down) _shortcut = new ChainStep(Fold([.. down.NamedChildren().Select(c => c.module)], lastRelu: false));
        if (block.AfterBlock is { } after)
            _after = after is IBlockFacets facets ? Wrap(attention, after, facets.FoldForInference()) : new ModuleStep(after);
    }

    /// <summary>
    /// Conv-BN pairs (bare or as a ConvNormAct) become folded convs, with ReLU except for the last pair (the one
    /// before the residual sum, in every block type here), unless <paramref name="lastRelu"/>. An attention block
    /// gives its own folded step (<see cref="IBlockFacets.FoldForInference"/>); anything else (pools) runs as the module.
    /// </summary>
    internal static List<IStep> Fold(IReadOnlyList<Module> modules, bool lastRelu, Func<Module, IStep, IStep>? attention = null)
    {
        var pairs = new List<(Conv2d conv, BatchNorm2d? bn, int index)>();
        for (int i = 0; i < modules.Count; i++)
        {
            if (modules[i] is Conv2d conv)
                pairs.Add((conv, i + 1 < modules.Count ? modules[i + 1] as BatchNorm2d : null, i));
            else if (modules[i] is ConvNormAct cna)
                pairs.Add((cna.Conv, cna.Bn, i));
        }
        var steps = new List<IStep>();
        for (int i = 0; i < modules.Count; i++)
        {
            var m = modules[i];
            int pair = pairs.FindIndex(p => p.index == i);
            if (pair >= 0)
            {
                var (conv, bn, _) = pairs[pair];
                bool last = pair == pairs.Count - 1;
                steps.Add(new ConvStep(Kernels.FoldConv(conv, bn, relu: !last || lastRelu)));
                if (bn is not null && m is Conv2d) i++;
            }
            else if (m is IBlockFacets block) steps.Add(Wrap(attention, m, block.FoldForInference()));
            else if (m is BatchNorm2d) throw new InvalidOperationException("A BatchNorm without a conv before it cannot be folded.");
            else steps.Add(new ModuleStep(m));
        }
        return steps;
    }

    private static IStep Wrap(Func<Module, IStep, IStep>? attention, Module block, IStep step) => attention?.Invoke(block, step) ?? step;

    private static bool LastIsConvNorm(List<Module> children) =>
        children[^1] is ConvNormAct || (children[^1] is BatchNorm2d && children.Count > 1 && children[^2] is Conv2d);

    /// <summary>The block on x, which it may overwrite.</summary>
    public Tensor Run(Tensor x)
    {
        using var scope = Tensor.Scope();
        // The branch's last conv writes its output in the fused last conv's input format when both run lowered.
        var (y, low) = _branch.Run(x, _fusedLast);
        Tensor z;
        using (low)
        {
            var shortcut = _shortcut?.Run(x) ?? F.Materialize(x, Engine.ActivationFormat);
            z = _fusedLast is null ? AddRelu(y!, shortcut)
                : low is null ? _fusedLast.RunInto(y!, shortcut)
                : _fusedLast.RunInto(low, shortcut);
        }
        if (y is not null && !ReferenceEquals(y, x)) y.Dispose();
        if (_after is not null)
        {
            var after = _after.Run(z);
            z.Dispose();
            z = after;
        }
        return scope.Keep(z);
    }

    // ReLU(y + shortcut) over the shortcut's memory in one pass when both lie alike (tensors are dense, so memory order serves).
    private static unsafe Tensor AddRelu(Tensor y, Tensor shortcut)
    {
        if (!y.SameLayout(shortcut))
        {
            using (shortcut) return F.Relu(F.Add(y, shortcut));
        }
        float* a = y.Data, s = shortcut.Data;
        Backend.Managed.Par.For(y.Numel, 2, (begin, end) =>
        {
            var dst = new Span<float>(s + begin, end - begin);
            System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(a + begin, end - begin), dst, dst);
            System.Numerics.Tensors.TensorPrimitives.Max(dst, 0f, dst);
        });
        return shortcut;
    }

    public IEnumerable<FoldedConv> Convs =>
        [.. _branch.Convs, .. _fusedLast is null ? [] : new[] { _fusedLast }, .. _shortcut?.Convs ?? [], .. _after?.Convs ?? []];

    public void Dispose()
    {
        _branch.Dispose();
        _fusedLast?.Dispose();
        _shortcut?.Dispose();
        _after?.Dispose();
    }
}
