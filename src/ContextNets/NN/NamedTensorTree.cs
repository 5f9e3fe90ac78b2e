namespace ContextNets.NN;

/// <summary>
/// A module whose parameters and buffers are registered under dotted names from a file ("layer1.0.conv1.weight"),
/// each dot a child module, so that its state dict keys are those names. A name that cannot be a path (an empty
/// segment, a segment taken by a tensor on the way, a repeated name) is kept flat with its dots as underscores,
/// made unique with a numeric suffix: <see cref="Add"/> returns the key it used.
/// </summary>
public abstract class NamedTensorTree : Module
{
    private readonly Dictionary<string, NamedTensorTree?> _names = [];

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
            if (!node._names.TryGetValue(segments[i], out var next))
            {
                next = node.Register(segments[i], new Branch());
                node._names[segments[i]] = next;
            }
            if (next is null) return false;
            node = next;
        }
        if (node.Taken(segments[^1])) return false;
        Register(node, segments[^1], tensor, buffer);
        return true;
    }

    // A name maps to its branch, or to null when a tensor holds it.
    private bool Taken(string name) => _names.ContainsKey(name);

    private static void Register(NamedTensorTree node, string name, Tensor tensor, bool buffer)
    {
        node._names[name] = null;
        if (buffer) node.RegisterBuffer(name, tensor);
        else node.RegisterParameter(name, tensor);
    }

    /// <summary>An inner node of the tree: it only holds tensors, and runs nothing.</summary>
    private sealed class Branch : NamedTensorTree
    {
        public override Tensor Forward(Tensor x) => throw new NotSupportedException("A branch of named tensors is not a layer to run.");
    }
}
