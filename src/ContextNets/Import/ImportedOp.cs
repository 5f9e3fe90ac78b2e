using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// One ONNX node as this library runs it: its attributes read once at load, its inputs fetched by name at run time
/// from the graph's values (graph inputs, the model's parameters, earlier outputs). Every op is built from the
/// framework's differentiable ops, so that an imported graph trains.
/// </summary>
internal abstract class ImportedOp
{
    protected ImportedOp(NodeProto node, OnnxAttributes attributes)
    {
        Node = node;
        Where = OnnxGraphFile.Describe(node);
        Attributes = attributes;
    }

    public NodeProto Node { get; }
    public string Where { get; }
    protected OnnxAttributes Attributes { get; }

    /// <summary>What the node became, for `ctxnet import --map`.</summary>
    public abstract string Mapping { get; }

    /// <summary>The node's outputs, in its output order.</summary>
    public abstract Tensor[] Run(GraphValues values, bool training);

    /// <summary>The tensor at input <paramref name="index"/>; the node must have it.</summary>
    protected Tensor In(GraphValues values, int index) =>
        index < Node.Input.Count && Node.Input[index].Length > 0
            ? values[Node.Input[index]]
            : throw Attributes.Bad($"lacks its input {index}");

    /// <summary>The tensor at an optional input, or null when the node leaves it out.</summary>
    protected Tensor? Optional(GraphValues values, int index) =>
        index < Node.Input.Count && Node.Input[index].Length > 0 ? values[Node.Input[index]] : null;

    /// <summary>Refuses a node whose input count is outside [min, max] or that uses outputs this op does not make.</summary>
    public void CheckArity(int min, int max, int outputs)
    {
        if (Node.Input.Count < min || Node.Input.Count > max)
            throw Attributes.Bad($"has {Node.Input.Count} inputs; {(min == max ? $"{min}" : $"{min} to {max}")} expected");
        if (Node.Output.Count < 1 || Node.Output[0].Length == 0) throw Attributes.Bad("has no output");
        if (Node.Output.Skip(outputs).Any(o => o.Length > 0))
            throw Attributes.Bad($"asks for {Node.Output.Count} outputs; the importer makes the first {outputs}");
    }
}

/// <summary>The float values of one run of the graph by name (the int constants were read at load, by the ops that need them).</summary>
internal sealed class GraphValues(Dictionary<string, Tensor> values)
{
    public Tensor this[string name] =>
        values.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"The ONNX value '{name}' is not a float tensor at run time (an int constant used as data?).");
}
