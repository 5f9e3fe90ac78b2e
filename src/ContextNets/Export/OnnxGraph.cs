using System.Runtime.InteropServices;
using ContextNets.Export.Proto;
using Google.Protobuf;

namespace ContextNets.Export;

/// <summary>
/// Builds one ONNX graph in topological order: nodes are appended after the values they read, every value has one
/// producer and a unique name, and initializers (weights, shape and scalar constants) are added as they are first
/// needed. Integer and scalar constants are shared by value.
/// </summary>
internal sealed class OnnxGraph(int opset, bool foldBatchNorm, IReadOnlyDictionary<NN.Conv2d, ActivationQuantization>? int8Inputs = null)
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    public int Opset { get; } = opset;
    public bool FoldBatchNorm { get; } = foldBatchNorm;
    /// <summary>The nodes being written: the graph's, or a Loop body's inside <see cref="WriteInto"/>.</summary>
    public List<NodeProto> Nodes { get; private set; } = [];
    public List<TensorProto> Initializers { get; } = [];
    public long InitializerBytes { get; private set; }

    /// <summary>The convs written in int8 QDQ form, with their calibrated input quantization; null: an f32 graph.</summary>
    public IReadOnlyDictionary<NN.Conv2d, ActivationQuantization>? Int8Inputs { get; } = int8Inputs;

    /// <summary>The Q-DQ pairs written so far, by value and quantization: convs that read the same value share one.</summary>
    public Dictionary<(string value, ActivationQuantization quantization), OnnxValue> FakeQuantized { get; } = [];

    /// <summary>The convs of <see cref="Int8Inputs"/> written so far: the export checks that none was missed.</summary>
    public HashSet<NN.Conv2d> Int8Written { get; } = [];

    /// <summary>The graph input: a value with no producer.</summary>
    public OnnxValue Input(string name, int[] dims) => new(Claim(name), dims);

    /// <summary>A float32 initializer with the given dims (the data in row-major order), under a unique name based on <paramref name="name"/>.</summary>
    public string Weights(string name, ReadOnlySpan<float> data, params int[] dims)
    {
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length)
            throw new InvalidOperationException($"ONNX initializer {name}: {data.Length} values for dims {Shape.Format(dims)}.");
        var t = new TensorProto { Name = Claim(name), DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data)) };
        t.Dims.AddRange(dims.Select(d => (long)d));
        Add(t);
        return t.Name;
    }

    /// <summary>An initializer of any element type from its raw little-endian bytes, under a unique name based on <paramref name="name"/>.</summary>
    public string Raw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> data, params int[] dims)
    {
        var t = new TensorProto { Name = Claim(name), DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        t.Dims.AddRange(dims.Select(d => (long)d));
        Add(t);
        return t.Name;
    }

    /// <summary>A parameter or buffer as an initializer, in its logical (row-major) order, optionally viewed with other dims.</summary>
    public string Weights(string name, Tensor tensor, params int[] dims) =>
        Weights(name, tensor.ToArray(), dims.Length > 0 ? dims : tensor.Shape.Dims.ToArray());

    /// <summary>A 1-D int64 constant (Reshape targets, axes, split sizes), shared by value.</summary>
    public string Int64s(params long[] values)
    {
        string key = "i64:" + string.Join(",", values);
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var t = new TensorProto { Name = Claim("const_" + string.Join("_", values.Select(v => v < 0 ? "m" + -v : v.ToString(System.Globalization.CultureInfo.InvariantCulture)))), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        Add(t);
        return _constants[key] = t.Name;
    }

    /// <summary>A float32 scalar (0-D) constant, shared by value.</summary>
    public string Scalar(float value)
    {
        string key = "f32:" + BitConverter.SingleToInt32Bits(value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var t = new TensorProto { Name = Claim("const_scalar"), DataType = (int)TensorProto.Types.DataType.Float };
        t.RawData = ByteString.CopyFrom(BitConverter.GetBytes(value));
        Add(t);
        return _constants[key] = t.Name;
    }

    /// <summary>Appends a node with one output of shape <paramref name="dims"/>, named after <paramref name="scope"/> and the op.</summary>
    public OnnxValue Op(string opType, string scope, int[] dims, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Ops(opType, scope, [dims], inputs, attributes)[0];

    /// <summary>Appends a node with one output per entry of <paramref name="outputDims"/> (Split).</summary>
    public OnnxValue[] Ops(string opType, string scope, int[][] outputDims, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string stem = (scope.Length == 0 ? "" : scope + "/") + opType;
        var node = new NodeProto { OpType = opType, Name = Claim(stem, _nodeNames) };
        node.Input.AddRange(inputs);
        node.Attribute.AddRange(attributes);
        var outputs = outputDims.Select(d => new OnnxValue(Claim(stem), d)).ToArray();
        node.Output.AddRange(outputs.Select(o => o.Name));
        Nodes.Add(node);
        return outputs;
    }

    /// <summary>
    /// Appends the nodes made until the returned scope is disposed to <paramref name="body"/> (a Loop's body) instead
    /// of the graph. Names and constants stay shared with the graph and constants go to its initializers, which a body
    /// reads from the outer scope, so that no name is defined twice.
    /// </summary>
    public IDisposable WriteInto(List<NodeProto> body)
    {
        var outer = Nodes;
        Nodes = body;
        return new Restore(() => Nodes = outer);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    private void Add(TensorProto t)
    {
        Initializers.Add(t);
        InitializerBytes += t.RawData.Length;
    }

    // Value and initializer names share one namespace, node names have their own; a repeated base name gets a numeric suffix.
    private string Claim(string name, HashSet<string>? names = null)
    {
        names ??= _names;
        if (names.Add(name)) return name;
        for (int i = 1; ; i++)
            if (names.Add($"{name}_{i}")) return $"{name}_{i}";
    }
}
