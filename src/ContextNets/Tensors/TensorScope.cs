namespace ContextNets;

/// <summary>
/// Owns every tensor created on this thread while it is the innermost open
/// scope, and disposes them when it ends. A training step wraps its body in
/// one, so that activations and temporaries go back to the pool at once and
/// never wait for a finalizer.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    private readonly TensorScope? _parent;
    private readonly List<Tensor> _owned = [];
    private bool _disposed;

    internal TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    internal static TensorScope? Current => _current;

    internal void Add(Tensor t) => _owned.Add(t);

    /// <summary>Takes a tensor out of this scope, so it survives the scope's end (it moves to the parent, if any).</summary>
    public Tensor Keep(Tensor t)
    {
        if (_owned.Remove(t)) _parent?.Add(t);
        return t;
    }

    /// <summary>Takes a tensor out of this scope and out of every other: its new owner (the caller of an API that returns it) disposes it.</summary>
    internal Tensor Disown(Tensor t)
    {
        _owned.Remove(t);
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        if (_current != this) throw new InvalidOperationException("Tensor scopes must be disposed in the reverse order of their creation, on the thread that made them.");
        _disposed = true;
        _current = _parent;
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
