namespace ContextNets.NN;

/// <summary>
/// A module whose parameters and buffers are registered under dotted names from a file ("layer1.0.conv1.weight"),
/// each dot a child module, so that its state dict keys are those names. A name that cannot be a path (an empty
/// segment, a segment taken by a tensor on the way, a repeated name) is kept flat with its dots as underscores,
/// made unique with a numeric suffix: <see cref="Add"/> returns the key it used.
/// </summary>
public abstract class NamedTensorTree : Module
{
    /// <summary>Registers <paramref name="tensor"/> (owned from now on) as a parameter or a buffer; returns its state dict key.</summary>
    protected string Add(string dottedName, Tensor tensor, bool buffer)
    {
        var segments = dottedName.Split('.');
        if (segments.All(s => s.Length > 0) && TryAddPath(segments, tensor, buffer)) return dottedName;
        string flat = dottedName.Length == 0 ? "tensor" : dottedName.Replace('.', '_');
        string key = flat;
        for (int n = 2; Taken(key); n++) key = $"{flat}_{n}";
        Register(this, key, tensor, buffer);
        return key;
    }

    private bool TryAddPath(string[] segments, Tensor tensor, bool buffer)
    {
        NamedTensorTree node = this;
        for (int i = 0; i < segments.Length - 1; i++)
        {
            var child = node.NamedChildren().FirstOrDefault(c => c.name == segments[i]).module;
            if (child is null)
            {
                if (node.Taken(segments[i])) return false;
                child = node.Register(segments[i], new Branch());
            }
            if (child is not NamedTensorTree next) return false;
            node = next;
        }
        if (node.Taken(segments[^1])) return false;
        Register(node, segments[^1], tensor, buffer);
        return true;
    }

    private bool Taken(string name) =>
        NamedChildren().Any(c => c.name == name) || OwnTensorNames().Contains(name);

    private IEnumerable<string> OwnTensorNames() =>
        NamedParameters().Concat(NamedBuffers()).Select(p => p.name).Where(n => !n.Contains('.'));

    private static void Register(NamedTensorTree node, string name, Tensor tensor, bool buffer)
    {
        if (buffer) node.RegisterBuffer(name, tensor);
        else node.RegisterParameter(name, tensor);
    }

    /// <summary>An inner node of the tree: it only holds tensors, and runs nothing.</summary>
    private sealed class Branch : NamedTensorTree
    {
        public override Tensor Forward(Tensor x) => throw new NotSupportedException("A branch of named tensors is not a layer to run.");
    }
}
