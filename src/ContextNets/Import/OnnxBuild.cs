using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// What building one node may ask of the whole file: its opset, and the int constants (int64/int32 initializers
/// and Constant nodes) that shape ops read at load, since their values decide shapes and cannot be computed here.
/// </summary>
internal sealed class OnnxBuild(int opset, IReadOnlyDictionary<string, long[]> constants)
{
    public int Opset { get; } = opset;

    /// <summary>The values of input <paramref name="index"/> of a node, which must be an int constant.</summary>
    public long[] Constant(NodeProto node, int index, OnnxAttributes a)
    {
        if (index >= node.Input.Count || node.Input[index].Length == 0) throw a.Bad($"lacks its input {index}");
        return constants.TryGetValue(node.Input[index], out var v)
            ? v
            : throw a.Bad($"reads '{node.Input[index]}' as input {index}, which must be an int constant (an initializer or a Constant node), not a computed value");
    }

    /// <summary>The values of an optional constant input, or null when the node leaves it out.</summary>
    public long[]? OptionalConstant(NodeProto node, int index, OnnxAttributes a) =>
        index < node.Input.Count && node.Input[index].Length > 0 ? Constant(node, index, a) : null;
}
