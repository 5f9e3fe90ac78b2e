using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// One node's attributes, read by name with their ONNX types checked: a wrong type or a value out of range is the
/// file's fault and is refused with the node named, never taken for a default.
/// </summary>
internal sealed class OnnxAttributes
{
    private readonly Dictionary<string, AttributeProto> _byName = [];
    private readonly string _node;

    public OnnxAttributes(NodeProto node, string where)
    {
        _node = where;
        foreach (var a in node.Attribute)
            if (!_byName.TryAdd(a.Name, a)) throw Bad($"has the attribute '{a.Name}' twice");
    }

    public bool Has(string name) => _byName.ContainsKey(name);

    public long Int(string name, long fallback) =>
        Get(name, AttributeProto.Types.AttributeType.Int) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) =>
        Get(name, AttributeProto.Types.AttributeType.Float) is { } a ? a.F : fallback;

    public string String(string name, string fallback) =>
        Get(name, AttributeProto.Types.AttributeType.String) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) =>
        Get(name, AttributeProto.Types.AttributeType.Ints) is { } a ? [.. a.Ints] : null;

    public TensorProto? Tensor(string name) =>
        Get(name, AttributeProto.Types.AttributeType.Tensor)?.T;

    /// <summary>An int attribute that must fit an int and lie in [min, max].</summary>
    public int Int(string name, int fallback, int min, int max)
    {
        long v = Int(name, fallback);
        if (v < min || v > max) throw Bad($"has {name} = {v}, outside [{min}, {max}]");
        return (int)v;
    }

    /// <summary>An ints attribute of exactly <paramref name="count"/> values, each in [min, max]; the fallback when absent.</summary>
    public int[] Ints(string name, int count, int min, int max, int[] fallback)
    {
        var v = Ints(name);
        if (v is null) return fallback;
        if (v.Length != count) throw Bad($"has {name} of {v.Length} values, {count} expected");
        foreach (long x in v)
            if (x < min || x > max) throw Bad($"has {name} = [{string.Join(", ", v)}], outside [{min}, {max}]");
        return [.. v.Select(x => (int)x)];
    }

    /// <summary>Refuses an attribute that is present with a value this importer does not implement.</summary>
    public void Require(string name, long supported, string why)
    {
        if (Has(name) && Int(name, supported) != supported) throw Bad($"has {name} = {Int(name, supported)}: {why}");
    }

    public InvalidDataException Bad(string what) => new($"ONNX node {_node} {what}.");

    private AttributeProto? Get(string name, AttributeProto.Types.AttributeType type)
    {
        if (!_byName.TryGetValue(name, out var a)) return null;
        // Writers before IR 3 leave the type unset; the field that holds the value then tells it.
        if (a.Type != type && a.Type != AttributeProto.Types.AttributeType.Undefined)
            throw Bad($"has the attribute '{name}' of type {a.Type}, {type} expected");
        return a;
    }
}
