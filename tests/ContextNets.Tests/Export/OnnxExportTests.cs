using ContextNets.Attention;
using ContextNets.Export;
using ContextNets.Export.Proto;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Data;
using Google.Protobuf;

namespace ContextNets.Tests.Export;

/// <summary>What the exporter writes and what it refuses, without outside tools.</summary>
public sealed class OnnxExportTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static OnnxExportOptions Options(int[] input, int opset = 17, bool dynamic = false, bool fold = true) =>
        new() { InputShape = input, Opset = opset, DynamicBatch = dynamic, FoldBatchNorm = fold };

    private static ModelProto Parse(Module m, OnnxExportOptions o) => ModelProto.Parser.ParseFrom(OnnxCases.Bytes(m, o));

    [Theory]
    [InlineData(12)]
    [InlineData(18)]
    [InlineData(0)]
    public void OpsetsOutside13To17AreRefusedNamingTheRange(int opset)
    {
        using var se = new SqueezeExcite(16);
        var e = Assert.Throws<ArgumentException>(() => OnnxCases.Bytes(se, Options([1, 16, 4, 4], opset)));
        Assert.Contains($"opsets 13 to 17, not {opset}", e.Message);
    }

    [Fact]
    public void TrainingModeExportIsRefused()
    {
        using var net = Zoo.Create("resnet20");
        var e = Assert.Throws<NotSupportedException>(() => OnnxCases.Bytes(net, Options([1, 1, 28, 28]) with { TrainingMode = OnnxTrainingMode.Training }));
        Assert.Contains("inference form only", e.Message);
        // Preserve exports the module as it is: a module in training mode is refused, in eval mode it exports.
        net.Train();
        var p = Assert.Throws<InvalidOperationException>(() => OnnxCases.Bytes(net, Options([1, 1, 28, 28]) with { TrainingMode = OnnxTrainingMode.Preserve }));
        Assert.Contains("training mode; call Eval()", p.Message);
        net.Eval();
        Assert.NotEmpty(OnnxCases.Bytes(net, Options([1, 1, 28, 28]) with { TrainingMode = OnnxTrainingMode.Preserve }));
    }

    [Fact]
    public void UnsupportedModulesAreRefusedWithTheirTypeAndPath()
    {
        using var custom = new Sequential(new Conv2d(3, 4, 3), new Lambda(F.Relu));
        var e = Assert.Throws<NotSupportedException>(() => OnnxCases.Bytes(custom, Options([1, 3, 8, 8])));
        Assert.Contains("'1'", e.Message);
        Assert.Contains("arbitrary function", e.Message);

        using var other = new Sequential(new Conv2d(3, 4, 3), new Opaque());
        e = Assert.Throws<NotSupportedException>(() => OnnxCases.Bytes(other, Options([1, 3, 8, 8])));
        Assert.Contains("Opaque (at '1')", e.Message);

        using var nl = new NonLocal(8);
        e = Assert.Throws<NotSupportedException>(() => OnnxCases.Bytes(nl, Options([1, 8, 16])));
        Assert.Contains("exported on maps [N, C, H, W] and clips [N, C, T, H, W]", e.Message);
    }

    private sealed class Opaque : Module
    {
        public override Tensor Forward(Tensor x) => x;
    }

    [Fact]
    public void BadInputShapesAreRefusedNamingTheShapes()
    {
        using var gc = new GlobalContext(32);
        var e = Assert.Throws<ArgumentException>(() => OnnxCases.Bytes(gc, new OnnxExportOptions()));
        Assert.Contains("InputShape", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxCases.Bytes(gc, Options([1, 16, 8, 8])));
        Assert.Contains("[N, 32, H, W], got [1, 16, 8, 8]", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxCases.Bytes(gc, Options([1, 32, 0, 8])));
        Assert.Contains("[1, 32, 0, 8]", e.Message);
        using var net = Zoo.Create("resnet20");
        e = Assert.Throws<ArgumentException>(() => OnnxCases.Bytes(net, Options([1, 3, 28, 28])));
        Assert.Contains("[N, 1, H, W], not [1, 3, 28, 28]", e.Message);
        using var nl = new NonLocal(8, subSample: true);
        e = Assert.Throws<ArgumentException>(() => OnnxCases.Bytes(nl, Options([1, 8, 1, 4])));
        Assert.Contains("sub_sample needs H and W of at least 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxCases.Bytes(gc, Options([1, 32, 8, 8]) with { OutputName = "input" }));
        Assert.Contains("different", e.Message);
    }

    [Fact]
    public void AFailedExportLeavesThePreviousFileAsItWas()
    {
        string path = _tmp.Write("model.onnx", [1, 2, 3]);
        using var gc = new GlobalContext(32);
        Assert.Throws<ArgumentException>(() => gc.ExportOnnx(path, Options([1, 16, 8, 8])));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_tmp.Path));
        var summary = gc.ExportOnnx(path, Options([2, 32, 8, 8]));
        Assert.Equal(summary.FileBytes, new FileInfo(path).Length);
        Assert.Single(Directory.GetFiles(_tmp.Path));
    }

    [Fact]
    public void BatchNormIsFoldedIntoTheConvolutionsOrWrittenAsBatchNormalization()
    {
        using var net = Zoo.Create("resnest14d");
        int norms = net.NamedModules().Count(m => m.module is BatchNorm2d);
        var folded = Parse(net, Options([1, 3, 32, 32]));
        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");
        var kept = Parse(net, Options([1, 3, 32, 32], fold: false));
        Assert.Equal(norms, kept.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
        // The folded weights are new values under the conv's name, with a bias the conv did not have.
        Assert.Contains(folded.Graph.Initializer, t => t.Name == "conv1.0.bias");
        Assert.Contains(kept.Graph.Initializer, t => t.Name == "layer1.0.conv2.bn0.running_var");
    }

    [Fact]
    public void LayerNormIsAnOpFromOpset17AndItsDecompositionBelow()
    {
        using var gc = new GlobalContext(32, fusion: ContextFusion.Both);
        var at17 = Parse(gc, Options([1, 32, 6, 6], 17));
        Assert.Equal(2, at17.Graph.Node.Count(n => n.OpType == "LayerNormalization"));
        foreach (int opset in new[] { 13, 14, 15, 16 })
        {
            var below = Parse(gc, Options([1, 32, 6, 6], opset));
            Assert.DoesNotContain(below.Graph.Node, n => n.OpType == "LayerNormalization");
            Assert.Equal(4, below.Graph.Node.Count(n => n.OpType == "ReduceMean"));
            Assert.Equal(2, below.Graph.Node.Count(n => n.OpType == "Sqrt"));
            Assert.Equal(opset, below.OpsetImport.Single().Version);
            Assert.Equal(opset <= 14 ? 7 : 8, below.IrVersion);
        }
    }

    [Fact]
    public void DynamicBatchMakesTheBatchSymbolicAndReshapesCopyIt()
    {
        using var nl = new NonLocal(16, subSample: true);
        var m = Parse(nl, Options([3, 16, 8, 8], dynamic: true));
        Assert.Equal("batch", m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("batch", m.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
        var shapes = m.Graph.Node.Where(n => n.OpType == "Reshape").Select(n => m.Graph.Initializer.Single(t => t.Name == n.Input[1])).ToList();
        Assert.NotEmpty(shapes);
        Assert.All(shapes, s => Assert.Equal(0L, BitConverter.ToInt64(s.RawData.Span[..8])));
        var fixedBatch = Parse(nl, Options([3, 16, 8, 8]));
        Assert.Equal(3, fixedBatch.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue);
    }

    [Fact]
    public void ExportLeavesTheModuleAsItWas()
    {
        using var net = Zoo.Create("nl_resnet20");
        OnnxCases.Randomize(net, 5);
        net.Train();
        var before = net.StateDict().ToDictionary(p => p.Key, p => p.Value.ToArray());
        var summary = net.ExportOnnx(_tmp.File("nl.onnx"), Options([2, 1, 28, 28]) with { Metadata = new Dictionary<string, string> { ["classes"] = "a,b" } });
        Assert.True(net.Training);
        foreach (var (k, v) in net.StateDict()) Assert.Equal(before[k], v.ToArray());
        Assert.Equal(new Shape(2, 10), summary.OutputShape);
        var m = ModelProto.Parser.ParseFrom(File.ReadAllBytes(_tmp.File("nl.onnx")));
        Assert.Equal("a,b", m.MetadataProps.Single(p => p.Key == "classes").Value);
        Assert.Equal("ContextNets", m.ProducerName);
        Assert.Equal(["input"], m.Graph.Input.Select(i => i.Name));
        Assert.Equal(["output"], m.Graph.Output.Select(i => i.Name));
    }

    [Fact]
    public void EveryBlockUsesOnlyTheStandardOps()
    {
        var allowed = new HashSet<string> { "Conv", "Relu", "Add", "Mul", "Sigmoid", "Softmax", "MatMul", "ReduceSum", "GlobalAveragePool", "MaxPool", "Reshape", "Transpose", "LayerNormalization", "Split", "Concat" };
        foreach (var c in OnnxCases.Blocks)
        {
            using var block = c.Create();
            var m = Parse(block, Options(c.Input));
            Assert.All(m.Graph.Node, n => Assert.True(allowed.Contains(n.OpType), $"{c}: {n.OpType}"));
            Assert.Empty(OnnxStructure.Problems(m.ToByteArray(), 17, c.Input, OutputShape(block, c.Input), false));
        }
    }

    private static int[] OutputShape(Module m, int[] input) => OnnxCases.Forward(m, OnnxCases.Input(input, 1), input).shape;
}
