using ContextNets.Export.Proto;
using ContextNets.NN;

namespace ContextNets.Import;

/// <summary>
/// An ONNX graph as a trainable module. Float initializers become the module's parameters under their ONNX names
/// (BatchNorm running statistics become buffers), so the optimizer, the state dict and checkpoints see them as in
/// any model; int initializers and Constant nodes are read at load as the shapes, sizes and axes of the ops that
/// need them. <see cref="Forward"/> runs a one-input graph and returns its first output; <see cref="Run"/> takes
/// every input and returns every output. Every node runs on the framework's differentiable ops, so gradients flow to every parameter.
/// </summary>
public sealed class OnnxModel : NamedTensorTree
{
    private readonly List<ImportedOp> _ops = [];
    private readonly Dictionary<string, Tensor> _tensors = [];
    private readonly List<OnnxMapEntry> _map = [];
    private readonly string[] _inputs, _outputs;
    private readonly int[][] _inputDims;
    private readonly GraphRunner _runner;

    private OnnxModel(OnnxGraphFile file, string? output)
    {
        Opset = file.Opset;
        _inputs = [.. file.Inputs.Select(i => i.Name)];
        _inputDims = [.. file.Inputs.Select(DeclaredDims)];
        _outputs = output is null ? [.. file.Graph.Output.Select(o => o.Name)] : [output];
        var nodes = output is null ? file.Nodes : NodesBefore(file, output);
        // A file refused half-way has already given some tensors to the module: they are freed with it.
        try
        {
            var statistics = file.Nodes.Where(n => n.OpType == "BatchNormalization").SelectMany(n => n.Input.Skip(3)).ToHashSet();
            var constants = new Dictionary<string, long[]>();
            foreach (var t in file.Initializers)
            {
                if (t.Ints is { } ints) constants[t.Name] = ints;
                else AddTensor(t, statistics.Contains(t.Name) ? "buffer" : "parameter");
            }
            var build = new OnnxBuild(file.Opset, constants);
            foreach (var node in nodes)
            {
                if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx") AddConstant(node, constants);
                else _ops.Add(OnnxOps.Create(node, build));
            }
            foreach (var op in _ops) _map.Add(new OnnxMapEntry("node", OnnxGraphFile.Describe(op.Node), op.Mapping, ""));
            _runner = RunnerOf(_ops);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Opset { get; }
    public IReadOnlyList<string> InputNames => _inputs;
    public IReadOnlyList<string> OutputNames => _outputs;

    /// <summary>Each input's dims as the file declares them (-1 where it names no size; empty when it gives no shape).</summary>
    public IReadOnlyList<IReadOnlyList<int>> InputDims => _inputDims;
    /// <summary>What the import made of the file: every initializer with its key (or its use as a constant), every node with the op it became.</summary>
    public IReadOnlyList<OnnxMapEntry> Map => _map;
    internal IReadOnlyList<ImportedOp> Ops => _ops;
    internal IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Reads and builds an ONNX file; a malformed file or an unsupported op is refused with one message.</summary>
    public static OnnxModel Load(string path) => Load(File.ReadAllBytes(path), path);

    /// <summary>
    /// The graph up to the value <paramref name="output"/> (a node's output, by name) instead of its declared outputs:
    /// the nodes it does not depend on are left out. Fine-tuning takes features from inside a graph this way (the
    /// ML.NET ResNet-18's last ReLU, before a 7x7 average pool that only fits 224-pixel inputs).
    /// </summary>
    public static OnnxModel Load(string path, string output) => Load(File.ReadAllBytes(path), path, output);

    public static OnnxModel Load(byte[] bytes, string what = "the ONNX model", string? output = null)
    {
        try
        {
            return new OnnxModel(OnnxGraphFile.Read(bytes, what), output);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(OnnxGraphFile.Printable(e.Message), e);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException(OnnxGraphFile.Printable(e.Message), e);
        }
    }

    public override Tensor Forward(Tensor x) => Run([x])[0];

    /// <summary>Every graph output for the graph inputs in order; the outputs belong to the caller's scope.</summary>
    public Tensor[] Run(IReadOnlyList<Tensor> inputs) => _runner.Run(inputs, Training);

    /// <summary>The graph with every BatchNormalization that follows a Conv folded into it, for inference; see <see cref="OnnxInference"/>.</summary>
    public OnnxInference Prepare() => new(this);

    /// <summary>A runner of other ops (the prepared graph's) over this model's tensors, inputs and outputs.</summary>
    internal GraphRunner RunnerOf(IReadOnlyList<ImportedOp> ops) => new(ops, _tensors, _inputs, _inputDims, _outputs);

    private void AddTensor(OnnxTensorData t, string role)
    {
        var tensor = Tensor.EmptyUnscoped(new Shape(t.Dims));
        t.Floats.CopyTo(tensor.Span);
        string key = Add(t.Name, tensor, buffer: role == "buffer");
        _tensors[t.Name] = tensor;
        _map.Add(new OnnxMapEntry(role, t.Name, key, Shape.Format(t.Dims)));
    }

    private void AddConstant(NodeProto node, Dictionary<string, long[]> constants)
    {
        var a = new OnnxAttributes(node, OnnxGraphFile.Describe(node));
        var value = a.Tensor("value") ?? throw a.Bad("has no tensor value (only the 'value' form of Constant is imported)");
        if (node.Output.Count != 1 || node.Input.Count != 0) throw a.Bad("must have no input and one output");
        var data = OnnxTensorData.Read(value, $"The value of Constant {OnnxGraphFile.Describe(node)}");
        if (data.Ints is { } ints)
        {
            constants[node.Output[0]] = ints;
            _map.Add(new OnnxMapEntry("constant", node.Output[0], $"[{string.Join(", ", ints.Take(8))}{(ints.Length > 8 ? ", ..." : "")}]", Shape.Format(data.Dims)));
            return;
        }
        var tensor = Tensor.EmptyUnscoped(new Shape(data.Dims));
        data.Floats.CopyTo(tensor.Span);
        string key = Add(node.Output[0], tensor, buffer: true);
        _tensors[node.Output[0]] = tensor;
        _map.Add(new OnnxMapEntry("buffer", node.Output[0], key, Shape.Format(data.Dims)));
    }

    /// <summary>The nodes <paramref name="output"/> depends on, in the file's order; an unknown name is refused.</summary>
    private static List<NodeProto> NodesBefore(OnnxGraphFile file, string output)
    {
        var producer = new Dictionary<string, NodeProto>();
        foreach (var n in file.Nodes)
            foreach (var o in n.Output) if (o.Length > 0) producer[o] = n;
        if (!producer.ContainsKey(output))
            throw new InvalidDataException($"No node of the graph makes a value named '{output}' (ctxnet import FILE.onnx --map lists the nodes).");
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([output]);
        while (pending.TryPop(out var name))
            if (producer.TryGetValue(name, out var node) && needed.Add(node))
                foreach (var i in node.Input) pending.Push(i);
        return [.. file.Nodes.Where(needed.Contains)];
    }

    private static int[] DeclaredDims(ValueInfoProto v) =>
        v.Type?.TensorType?.Shape is { } s ? [.. s.Dim.Select(d => d.HasDimValue ? (int)Math.Min(d.DimValue, int.MaxValue) : -1)] : [];
}

/// <summary>
/// One line of an import's map: an initializer or Constant (kind "parameter", "buffer" or "constant") with the state
/// dict key it went to and its dims, or a node (kind "node") with the op it became.
/// </summary>
public sealed record OnnxMapEntry(string Kind, string Source, string Target, string Dims);
