using ContextNets.Export;
using ContextNets.Export.Proto;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Export;

namespace ContextNets.Tests.Import;

/// <summary>
/// The sound files the import fuzzer mutates, small so that thousands of cases run in seconds: a tiny ResNet-D with
/// GC blocks (BatchNorm folded, and kept), a non-local block (Transpose, MatMul, Softmax), and an opset-8 graph
/// written here in the shape of the ML.NET preprocessing (Split, Concat, Sub of a mean image).
/// </summary>
internal static class ImportFuzzBases
{
    public static List<(ModelProto model, int[] input)> All()
    {
        Initializers.Seed(4);
        var config = ResNets.ResNet50D(3) with { Layers = [1, 1], Channels = [4, 8], StemWidth = 4 };
        using var resnet = new ResNet(config);
        using var nl = OnnxCases.Blocks.First(b => b.Kind == "nl").Create();
        int[] small = [1, 3, 8, 8], block = [1, 16, 4, 4];
        return
        [
            (Named(Parse(OnnxCases.Bytes(resnet, new OnnxExportOptions { InputShape = small })), "resnet-d"), small),
            (Named(Parse(OnnxCases.Bytes(resnet, new OnnxExportOptions { InputShape = small, Opset = 13, FoldBatchNorm = false })), "resnet-d BN kept"), small),
            (Named(Parse(OnnxCases.Bytes(nl, new OnnxExportOptions { InputShape = block, Opset = 17 })), "non-local"), block),
            (Preprocess(), [1, 3, 4, 4]),
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
