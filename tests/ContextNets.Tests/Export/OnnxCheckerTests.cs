using ContextNets.Tests.Support;
using ContextNets.Export;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Data;
using Xunit.Abstractions;

namespace ContextNets.Tests.Export;

/// <summary>
/// Debian's python3-onnx (1.12) checks what the exporter writes: onnx.checker.check_model with full_check (strict
/// shape inference) on every zoo model and on every block at every opset from 13 to 17.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class OnnxCheckerTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    public static TheoryData<string> ZooNames() => [.. Zoo.Names];

    /// <summary>Each zoo model at its own input size; the opsets go round 13..17 over the models, and the batch is dynamic for every other one.</summary>
    [Theory]
    [MemberData(nameof(ZooNames))]
    public void EveryZooModelPassesTheChecker(string name)
    {
        int index = Zoo.Names.ToList().IndexOf(name), opset = 13 + index % 5;
        var entry = Zoo.Entry(name);
        using var skip = Initializers.SkipRandom();
        using var model = Zoo.Create(name);
        var options = new OnnxExportOptions { InputShape = new Shape(1, entry.DefaultInChannels, entry.InputSize, entry.InputSize), Opset = opset, DynamicBatch = index % 2 == 0 };
        string path = OnnxCases.Export(model, _tmp.Path, name, options);
        Assert.Null(tools.Check(path));
        output.WriteLine($"{name}: opset {opset}, {new FileInfo(path).Length >> 20} MiB, passes check_model(full_check=True)");
        File.Delete(path);
    }

    /// <summary>The checker does check: a graph whose conv weight is gone is rejected.</summary>
    [Fact]
    public void TheCheckerRejectsABrokenGraph()
    {
        using var se = new ContextNets.Attention.SqueezeExcite(16);
        var model = ContextNets.Export.Proto.ModelProto.Parser.ParseFrom(OnnxCases.Bytes(se, new OnnxExportOptions { InputShape = new Shape(1, 16, 4, 4) }));
        model.Graph.Initializer.RemoveAt(0);
        string path = _tmp.File("broken.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        Assert.NotNull(tools.Check(path));
    }

    public static TheoryData<int, int> BlockOpsets()
    {
        var data = new TheoryData<int, int>();
        for (int i = 0; i < OnnxCases.Blocks.Length; i++)
            for (int opset = 13; opset <= 17; opset++) data.Add(i, opset);
        return data;
    }

    [Theory]
    [MemberData(nameof(BlockOpsets))]
    public void EveryBlockPassesTheCheckerAtEveryOpset(int block, int opset)
    {
        var c = OnnxCases.Blocks[block];
        using var module = c.Create();
        foreach (bool fold in new[] { true, false })
        {
            string path = OnnxCases.Export(module, _tmp.Path, $"{c.Kind}-{block}-{opset}-{fold}",
                new OnnxExportOptions { InputShape = c.Input, Opset = opset, DynamicBatch = block % 2 == 0, FoldBatchNorm = fold });
            var error = tools.Check(path);
            Assert.True(error is null, $"{c} at opset {opset} (fold {fold}): {error}");
        }
    }
}
