namespace ContextNets.Autograd;

/// <summary>
/// Reverse-mode differentiation. The graph is the GradFn links between
/// tensors; it exists only where some input required a gradient while
/// gradients were on.
/// </summary>
internal static class Tape
{
    private static readonly bool[] LeavesFirst = [true, false];

    public static bool ShouldRecord(Tensor a) => GradMode.IsEnabled && a.RequiresGrad;
    public static bool ShouldRecord(Tensor a, Tensor? b) => GradMode.IsEnabled && (a.RequiresGrad || b?.RequiresGrad == true);
    public static bool ShouldRecord(Tensor a, Tensor? b, Tensor? c) =>
        GradMode.IsEnabled && (a.RequiresGrad || b?.RequiresGrad == true || c?.RequiresGrad == true);
    public static bool ShouldRecord(IReadOnlyList<Tensor> inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs) if (t.RequiresGrad) return true;
        return false;
    }

    /// <summary>Attaches a backward rule to an op's output. The caller checked <see cref="ShouldRecord(Tensor)"/>.</summary>
    public static Tensor Record(Tensor output, string op, Tensor[] inputs, BackwardRule rule)
    {
        output.GradFn = new GradNode(op, inputs, rule);
        output.RequiresGrad = true;
        return output;
    }

    public static void Backward(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad) throw new InvalidOperationException($"Backward from a tensor {root.Shape} that does not require a gradient (was the graph recorded under NoGrad?).");
        if (gradient is null && root.Numel != 1)
            throw new ArgumentException($"Backward without a gradient needs a one-element output, not shape {root.Shape}; pass the upstream gradient.");
        if (gradient is not null && gradient.Shape != root.Shape)
            throw new ArgumentException($"The upstream gradient has shape {gradient.Shape}, the output {root.Shape}.");

        var order = TopologicalOrder(root);
        var pending = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        using (GradMode.NoGrad())
        {
            pending[root] = gradient is null ? Tensor.Full(root.Shape, 1f) : gradient.Alias();
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                if (!pending.Remove(t, out var g)) continue;
                if (t.GradFn is { } node)
                {
                    var grads = node.Rule(g);
                    for (int k = 0; k < node.Inputs.Length; k++)
                    {
                        var input = node.Inputs[k];
                        if (grads[k] is not { } gi) continue;
                        if (!input.RequiresGrad)
                        {
                            if (!ReferenceEquals(gi, g)) gi.Dispose();
                            continue;
                        }
                        if (gi.Shape != input.Shape)
                            throw new InvalidOperationException($"The backward of {node.Op} gave a gradient of shape {gi.Shape} for an input of shape {input.Shape}.");
                        // A rule may hand back its upstream gradient, or one tensor for two inputs; each slot gets its own object.
                        Accumulate(pending, input, ReferenceEquals(gi, g) || pending.ContainsValue(gi) ? gi.Alias() : gi);
                    }
                }
                else
                {
                    // Every consumer of a leaf comes before it in reverse order: nothing more will reach its gradient.
                    AccumulateIntoLeaf(t, g);
                    t.GradReady?.Invoke(t);
                }
                g.Dispose();
            }
        }
    }

    private static void Accumulate(Dictionary<Tensor, Tensor> pending, Tensor input, Tensor grad)
    {
        if (pending.Remove(input, out var existing))
        {
            var sum = F.AddNoGrad(existing, grad);
            existing.Dispose();
            grad.Dispose();
            grad = sum;
        }
        pending[input] = grad;
    }

    private static void AccumulateIntoLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null)
        {
            // The first gradient is usually a fresh tensor that nothing else holds: keep its memory instead of copying.
            var grad = g.TakeOverUnscoped();
            if (grad is null)
            {
                grad = Tensor.EmptyUnscoped(leaf.Shape, leaf.Format);
                F.CopyInto(g, grad);
            }
            leaf.Grad = grad;
        }
        else
        {
            F.AddInPlace(leaf.Grad, g);
        }
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, bool expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (expanded) { order.Add(t); continue; }
            if (!visited.Add(t)) continue;
            stack.Push((t, true));
            if (t.GradFn is not { } node) continue;
            // Leaves go on the stack below the inputs that are results, so they land in the order right before the node
            // that first reaches them: in reverse, a parameter is then finished as soon as its last consumer is, and
            // GradReady fires while the earlier layers are still to be differentiated.
            foreach (bool leaves in LeavesFirst)
                foreach (var input in node.Inputs)
                    if (input.RequiresGrad && input.IsLeaf == leaves && !visited.Contains(input)) stack.Push((input, false));
        }
        return order;
    }
}
