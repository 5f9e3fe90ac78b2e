namespace ContextNets.IO.Torch;

// The values the strict unpickler builds. Scalars are plain .NET objects: string, long, double, bool, and
// PyNone.Value. Nothing here has behaviour: a pickle can only describe data with them.

/// <summary>Python's None.</summary>
internal sealed class PyNone
{
    public static readonly PyNone Value = new();

    private PyNone() { }
}

/// <summary>A container; <see cref="Depth"/> is how many containers deep its contents nest (1 when it holds only scalars).</summary>
internal abstract class PyContainer
{
    public int Depth { get; protected set; } = 1;

    public static int DepthOf(object value) => value is PyContainer c ? c.Depth : 0;
}

internal sealed class PyTuple : PyContainer
{
    public PyTuple(object[] items)
    {
        Items = items;
        foreach (var item in items) Depth = Math.Max(Depth, DepthOf(item) + 1);
    }

    public object[] Items { get; }
}

internal sealed class PyList : PyContainer
{
    public List<object> Items { get; } = [];

    public void Add(object item)
    {
        Items.Add(item);
        Depth = Math.Max(Depth, DepthOf(item) + 1);
    }
}

/// <summary>A dict or an OrderedDict (insertion order is kept for both, as Python does). Keys are strings, integers, booleans or None.</summary>
internal sealed class PyDict : PyContainer
{
    private readonly Dictionary<object, int> _index = [];
    private readonly List<KeyValuePair<object, object>> _items = [];

    public PyDict(bool ordered) => Ordered = ordered;

    /// <summary>Made by collections.OrderedDict (torch's state dicts are).</summary>
    public bool Ordered { get; }

    /// <summary>The `_metadata` attribute that BUILD gives an OrderedDict state dict (module versions); kept, never used.</summary>
    public PyDict? Metadata { get; set; }

    public IReadOnlyList<KeyValuePair<object, object>> Items => _items;

    public int Count => _items.Count;

    public bool TryGet(object key, out object value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            value = _items[i].Value;
            return true;
        }
        value = PyNone.Value;
        return false;
    }

    /// <summary>Python's d[key] = value: a repeated key keeps its place and takes the new value.</summary>
    public void Set(object key, object value)
    {
        if (_index.TryGetValue(key, out int i)) _items[i] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
        Depth = Math.Max(Depth, DepthOf(value) + 1);
    }
}

/// <summary>A global the pickle named and the allow-list admitted (see <see cref="TorchGlobals"/>).</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}
