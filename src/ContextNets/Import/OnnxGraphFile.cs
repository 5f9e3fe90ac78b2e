using ContextNets.Export.Proto;
using Google.Protobuf;

namespace ContextNets.Import;

/// <summary>
/// An ONNX file read and checked before anything is built from it: the protobuf parses, the default domain's opset
/// is one this importer knows (8 to 17), every initializer's data matches its dims, every value has one producer,
/// every node input exists, and the nodes can be put in an order where each runs after what it reads (no cycle).
/// Whatever fails is refused with one message naming the value or the node.
/// </summary>
internal sealed class OnnxGraphFile
{
    public const int MinOpset = 8, MaxOpset = 17;

    private OnnxGraphFile(GraphProto graph, int opset, List<NodeProto> order, List<OnnxTensorData> initializers, List<ValueInfoProto> inputs)
    {
        Graph = graph;
        Opset = opset;
        Nodes = order;
        Initializers = initializers;
        Inputs = inputs;
    }

    public GraphProto Graph { get; }
    public int Opset { get; }
    /// <summary>The nodes in an order where each comes after the producers of its inputs.</summary>
    public IReadOnlyList<NodeProto> Nodes { get; }
    public IReadOnlyList<OnnxTensorData> Initializers { get; }
    /// <summary>The graph inputs that are fed at run time (those with an initializer of the same name are defaults, not inputs).</summary>
    public IReadOnlyList<ValueInfoProto> Inputs { get; }

    /// <summary>A node's name for messages: its own name, or its op and first output when it has none.</summary>
    public static string Describe(NodeProto n) =>
        n.Name.Length > 0 ? $"'{n.Name}' ({n.OpType})" : $"{n.OpType} -> '{n.Output.FirstOrDefault() ?? ""}'";

    /// <summary>
    /// A message fit for one line: names in a file may hold any character, so control characters are shown as
    /// \uXXXX escapes and an overlong message is cut.
    /// </summary>
    public static string Printable(string message)
    {
        var sb = new System.Text.StringBuilder(Math.Min(message.Length, 600));
        foreach (char c in message.Length > 600 ? message[..600] + "..." : message)
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        return sb.ToString();
    }

    public static OnnxGraphFile Read(ReadOnlySpan<byte> bytes, string what)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{what} is not an ONNX model (its protobuf does not parse: {e.Message})");
        }
        if (model.Graph is null || model.Graph.Node.Count == 0) throw new InvalidDataException($"{what} has no graph (no nodes).");
        int opset = ReadOpset(model, what);
        var g = model.Graph;
        var initializers = new List<OnnxTensorData>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (t.Name.Length == 0) throw new InvalidDataException($"{what} has an initializer without a name.");
            if (!known.Add(t.Name)) throw new InvalidDataException($"{what} has two initializers named '{t.Name}'.");
            initializers.Add(OnnxTensorData.Read(t, $"Initializer '{t.Name}'"));
        }
        var inputs = new List<ValueInfoProto>();
        foreach (var i in g.Input)
        {
            if (known.Contains(i.Name)) continue;
            if (i.Name.Length == 0 || !known.Add(i.Name)) throw new InvalidDataException($"{what} has a graph input named '{i.Name}' twice, or without a name.");
            inputs.Add(i);
        }
        if (inputs.Count == 0) throw new InvalidDataException($"{what} has no graph input to feed.");
        var order = Order(g, known, what);
        if (g.Output.Count == 0) throw new InvalidDataException($"{what} has no graph output.");
        foreach (var o in g.Output)
            if (!known.Contains(o.Name)) throw new InvalidDataException($"{what}: the graph output '{o.Name}' is made by no node.");
        return new OnnxGraphFile(g, opset, order, initializers, inputs);
    }

    private static int ReadOpset(ModelProto model, string what)
    {
        var main = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (main.Count != 1) throw new InvalidDataException($"{what} imports the default ONNX domain {main.Count} times; exactly one opset is expected.");
        long v = main[0].Version;
        if (v < MinOpset || v > MaxOpset) throw new InvalidDataException($"{what} is at opset {v}; the importer reads opsets {MinOpset} to {MaxOpset}.");
        return (int)v;
    }

    // Kahn's algorithm over value names: a node is ready when all its inputs are known. Nodes left over either
    // read a value nothing makes (named) or wait on each other in a cycle.
    private static List<NodeProto> Order(GraphProto g, HashSet<string> known, string what)
    {
        var producers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Node)
            foreach (var o in n.Output)
            {
                if (o.Length == 0) continue;
                if (known.Contains(o) || !producers.Add(o))
                    throw new InvalidDataException($"{what}: node {Describe(n)} writes '{o}', which has another producer.");
            }
        var pending = g.Node.ToList();
        var order = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            var ready = pending.Where(n => n.Input.All(i => i.Length == 0 || known.Contains(i))).ToList();
            if (ready.Count == 0)
            {
                var stuck = pending[0];
                string missing = stuck.Input.First(i => i.Length > 0 && !known.Contains(i));
                throw new InvalidDataException(producers.Contains(missing)
                    ? $"{what}: the graph has a cycle through node {Describe(stuck)} (it reads '{missing}', which is made after it)."
                    : $"{what}: node {Describe(stuck)} reads '{missing}', which is no input, initializer or node output.");
            }
            foreach (var n in ready)
            {
                order.Add(n);
                foreach (var o in n.Output) if (o.Length > 0) known.Add(o);
            }
            pending.RemoveAll(ready.Contains);
        }
        return order;
    }
}
