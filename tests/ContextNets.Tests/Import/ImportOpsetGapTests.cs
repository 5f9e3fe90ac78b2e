using ContextNets.Autograd;
using ContextNets.Export;
using ContextNets.Export.Proto;
using ContextNets.Import;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Export;
using Google.Protobuf;
using Xunit.Abstractions;

namespace ContextNets.Tests.Import;

/// <summary>
/// What the import once lacked: the Sqrt of our own exports below opset 17 (LayerNorm decomposed), so every opset we
/// write comes back, and MaxPool's ceil_mode. Each is run by us and by ONNX Runtime on the same file.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
public sealed class ImportOpsetGapTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-import-gaps-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The exporter writes opsets 13 to 17; every one below 17 decomposes LayerNorm with Sqrt.</summary>
    public static TheoryData<int, int> GcBlocksAtEveryOpset()
    {
        var data = new TheoryData<int, int>();
        for (int opset = 13; opset < 17; opset++)
            foreach (int i in Enumerable.Range(0, OnnxCases.Blocks.Length).Where(i => OnnxCases.Blocks[i].Kind == "gc"))
                data.Add(opset, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(GcBlocksAtEveryOpset))]
    public void AGcBlockExportedBelowOpset17ComesBackAsTheModuleAndOnnxRuntimeComputeIt(int opset, int index)
    {
        var c = OnnxCases.Blocks[index];
        Initializers.Seed(index);
        using var block = c.Create();
        OnnxCases.Randomize(block, 300 + index);
        var bytes = OnnxCases.Bytes(block, new OnnxExportOptions { InputShape = c.Input, Opset = opset, FoldBatchNorm = false });
        Assert.Contains(ModelProto.Parser.ParseFrom(bytes).Graph.Node, n => n.OpType == "Sqrt");
        Compare($"{c} opset {opset}", block, bytes, c.Input, index);
    }

    [Fact]
    public void GcResNet20ExportedAtOpset13ComesBack()
    {
        Initializers.Seed(3);
        using var model = Zoo.Create("gc_resnet20");
        OnnxCases.Randomize(model, 13);
        int[] shape = [1, 1, 28, 28];
        Compare("gc_resnet20 opset 13", model, OnnxCases.Bytes(model, new OnnxExportOptions { InputShape = shape, Opset = 13 }), shape, 13);
    }

    /// <summary>(H, W, kernel, stride, pads top/left/bottom/right, dilation): partial last windows, asymmetric pads, and a last window that would start in the end pad.</summary>
    public static TheoryData<int, int, int, int, int[], int> CeilCases() => new()
    {
        { 7, 6, 3, 2, [0, 0, 0, 0], 1 },
        { 8, 8, 3, 2, [1, 1, 1, 1], 1 },
        { 6, 9, 2, 2, [0, 1, 1, 0], 1 },
        { 5, 5, 2, 3, [1, 1, 1, 1], 1 },
        { 9, 7, 3, 2, [1, 0, 0, 1], 2 },
        { 10, 10, 3, 3, [0, 0, 2, 2], 1 },
    };

    [Theory]
    [MemberData(nameof(CeilCases))]
    public void MaxPoolInCeilModeMatchesOnnxRuntime(int h, int w, int kernel, int stride, int[] pads, int dilation)
    {
        var file = ImportFuzzBases.OneNodeGraph("ceil", "MaxPool", [1, 2, h, w], [], 12,
            ImportFuzzBases.Ints("kernel_shape", kernel, kernel), ImportFuzzBases.Ints("strides", stride, stride),
            ImportFuzzBases.Ints("pads", [.. pads.Select(p => (long)p)]), ImportFuzzBases.Ints("dilations", dilation, dilation),
            new AttributeProto { Name = "ceil_mode", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        file.Graph.Output[0].Type.TensorType.Shape = null;
        using var model = OnnxModel.Load(file.ToByteArray(), "ceil-mode MaxPool");
        CompareWithOnnxRuntime($"MaxPool {h}x{w} k{kernel} s{stride} pads [{string.Join(", ", pads)}] d{dilation} ceil", model, file.ToByteArray(), [1, 2, h, w], h * w);
    }

    /// <summary>(starts, ends, axes, steps) on a [2, 3, 7, 8] input: strides, reversals, clamped and "to the end" bounds.</summary>
    public static TheoryData<long[], long[], long[], long[]> StepCases() => new()
    {
        { [0], [8], [3], [2] },
        { [-1], [long.MinValue], [3], [-1] },
        { [6, 1], [0, 100], [2, 3], [-2, 3] },
        { [1, 0], [long.MaxValue, -1], [1, -1], [1, 3] },
        { [100, 2], [-100, 7], [2, 3], [-3, 1] },
        { [5], [5], [2], [-1] },
    };

    [Theory]
    [MemberData(nameof(StepCases))]
    public void SliceWithStepsMatchesOnnxRuntime(long[] starts, long[] ends, long[] axes, long[] steps)
    {
        var file = ImportFuzzBases.OneNodeGraph("slice", "Slice", [2, 3, 7, 8], [], 13);
        file.Graph.Output[0].Type.TensorType.Shape = null;
        foreach (var (name, values) in new[] { ("starts", starts), ("ends", ends), ("axes", axes), ("steps", steps) })
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            t.Dims.Add(values.Length);
            t.Int64Data.AddRange(values);
            file.Graph.Initializer.Add(t);
            file.Graph.Node[0].Input.Add(name);
        }
        string what = $"Slice starts [{string.Join(", ", starts)}] ends [{string.Join(", ", ends)}] axes [{string.Join(", ", axes)}] steps [{string.Join(", ", steps)}]";
        using var model = OnnxModel.Load(file.ToByteArray(), what);
        var x = OnnxCases.Input([2, 3, 7, 8], 5);
        var (ours, ourShape) = OnnxCases.Forward(model, x, [2, 3, 7, 8]);
        string path = Path.Combine(_dir, $"slice-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, file.ToByteArray());
        var (theirs, theirShape) = tools.Run(path, x, [2, 3, 7, 8]);
        Assert.Equal(theirShape, ourShape);
        // A slice moves values without arithmetic: they must be the same floats.
        Assert.Equal(theirs, ours);
        output.WriteLine($"{what}: [{string.Join(", ", ourShape)}], equal to ONNX Runtime's");
    }

    private void Compare(string what, Module module, byte[] bytes, int[] shape, int seed)
    {
        var x = OnnxCases.Input(shape, seed);
        var (ours, _) = OnnxCases.Forward(module, x, shape);
        using var imported = OnnxModel.Load(bytes, what);
        var (back, _) = OnnxCases.Forward(imported, x, shape);
        double err = OnnxCases.RelativeError(ours, back);
        output.WriteLine($"{what}: max |imported - module| / max |module| = {err:G3}");
        Assert.True(err <= Tolerance, $"{what}: the imported graph differs from the module by {err:G3} of the output's scale.");
        CompareWithOnnxRuntime(what, imported, bytes, shape, seed);
    }

    private void CompareWithOnnxRuntime(string what, OnnxModel model, byte[] bytes, int[] shape, int seed)
    {
        string path = Path.Combine(_dir, $"{seed}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        var x = OnnxCases.Input(shape, seed);
        var (theirs, theirShape) = tools.Run(path, x, shape);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var y = model.Forward(Tensor.FromArray(x, shape));
        Assert.Equal(theirShape, y.Shape.Dims.ToArray());
        double err = OnnxCases.RelativeError(theirs, y.ToArray());
        output.WriteLine($"{what}: max |ours - ort| / max |ort| = {err:G3}");
        Assert.True(err <= Tolerance, $"{what} differs from ONNX Runtime by {err:G3} of the output's scale.");
    }
}
