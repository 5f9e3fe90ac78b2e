using ContextNets.Export;
using ContextNets.Export.Proto;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Export;

namespace ContextNets.Tests.Import;

/// <summary>
/// The sound files the import fuzzer mutates, small so that thousands of cases run in seconds: a tiny ResNet-D with
/// GC blocks (BatchNorm folded, and kept), a non-local block (Transpose, MatMul, Softmax), and an opset-8 graph
/// written here in the shape of the ML.NET preprocessing (Split, Concat, Sub of a mean image), a GC block at opset 13
/// (LayerNorm decomposed, with Sqrt) and a ceil-mode max pool.
/// </summary>
internal static class ImportFuzzBases
{
    public static List<(ModelProto model, int[] input)> All()
    {
        Initializers.Seed(4);
        var config = ResNets.ResNet50D(3) with { Layers = [1, 1], Channels = [4, 8], StemWidth = 4 };
        using var resnet = new ResNet(config);
        using var nl = OnnxCases.Blocks.First(b => b.Kind == "nl").Create();
        using var gc = OnnxCases.Blocks.First(b => b.Kind == "gc").Create();
        int[] small = [1, 3, 8, 8], block = [1, 16, 4, 4], gcBlock = [1, 32, 3, 3];
        return
        [
            (Named(Parse(OnnxCases.Bytes(resnet, new OnnxExportOptions { InputShape = small })), "resnet-d"), small),
            (Named(Parse(OnnxCases.Bytes(resnet, new OnnxExportOptions { InputShape = small, Opset = 13, FoldBatchNorm = false })), "resnet-d BN kept"), small),
            (Named(Parse(OnnxCases.Bytes(nl, new OnnxExportOptions { InputShape = block, Opset = 17 })), "non-local"), block),
            (Named(Parse(OnnxCases.Bytes(gc, new OnnxExportOptions { InputShape = gcBlock, Opset = 13 })), "gc opset 13"), gcBlock),
            (Preprocess(), [1, 3, 4, 4]),
            (CeilMaxPool(), [1, 2, 7, 6]),
        ];
    }

    private static ModelProto Parse(byte[] bytes) => ModelProto.Parser.ParseFrom(bytes);

    private static ModelProto Named(ModelProto m, string name)
    {
        m.Graph.Name = name;
        return m;
    }

    private static ModelProto Preprocess()
    {
        var g = new GraphProto { Name = "preprocess" };
        g.Input.Add(Value("x", [1, 3, 4, 4]));
        g.Output.Add(Value("y", [1, 3, 4, 4]));
        var mean = new TensorProto { Name = "mean", DataType = (int)TensorProto.Types.DataType.Float };
        mean.Dims.AddRange([1, 3, 4, 4]);
        mean.FloatData.AddRange(Enumerable.Range(0, 48).Select(i => i * 0.5f));
        g.Initializer.Add(mean);
        var split = Node("Split", ["x"], ["r", "g", "b"]);
        split.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        split.Attribute.Add(new AttributeProto { Name = "split", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1 } });
        var concat = Node("Concat", ["b", "g", "r"], ["bgr"]);
        concat.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.AddRange([split, concat, Node("Sub", ["bgr", "mean"], ["y"])]);
        var m = new ModelProto { IrVersion = 3, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 8 });
        return m;
    }

    /// <summary>
    /// A shift by a per-channel initializer, then a 3x3 max pool, stride 2, pads [0, 1, 1, 0], in ceil mode, at opset
    /// 10 (where ceil_mode came in): two nodes and an initializer, for the mutations that need them.
    /// </summary>
    private static ModelProto CeilMaxPool()
    {
        var m = OneNodeGraph("ceil max pool", "MaxPool", [1, 2, 7, 6], [1, 2, 4, 3], 10,
            Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 0, 1, 1, 0), new AttributeProto { Name = "ceil_mode", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var shift = new TensorProto { Name = "shift", DataType = (int)TensorProto.Types.DataType.Float };
        shift.Dims.AddRange([1, 2, 1, 1]);
        shift.FloatData.AddRange([0.5f, -1f]);
        m.Graph.Initializer.Add(shift);
        m.Graph.Node[0].Input[0] = "shifted";
        m.Graph.Node.Insert(0, Node("Sub", ["x", "shift"], ["shifted"]));
        return m;
    }

    /// <summary>A graph of one node from its input x to its output y.</summary>
    public static ModelProto OneNodeGraph(string name, string op, long[] input, long[] output, int opset, params AttributeProto[] attributes)
    {
        var g = new GraphProto { Name = name };
        g.Input.Add(Value("x", input));
        g.Output.Add(Value("y", output));
        var node = Node(op, ["x"], ["y"]);
        node.Attribute.AddRange(attributes);
        g.Node.Add(node);
        var m = new ModelProto { IrVersion = 7, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return m;
    }

    public static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = op };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    private static ValueInfoProto Value(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
