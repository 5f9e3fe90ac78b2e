using ContextNets.Autograd;
using ContextNets.Export;
using ContextNets.IO;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Export;

namespace ContextNets.Tests.Cli;

/// <summary>`ctxnet run FILE.onnx` and `ctxnet import FILE.onnx` on a graph we exported from a zoo model with random weights.</summary>
public sealed class OnnxCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (Module model, string path) Exported()
    {
        Initializers.Seed(6);
        var model = Zoo.Create("gc_resnet20", numClasses: 4);
        OnnxCases.Randomize(model, 6);
        string path = Path.Combine(_dir, "gc.onnx");
        model.ExportOnnx(path, new OnnxExportOptions { InputShape = new Shape(1, 1, 28, 28), DynamicBatch = true, Opset = 17, FoldBatchNorm = false });
        return (model, path);
    }

    [Fact]
    public void RunWritesTheFirstOutputAsLogitsPlainAndPrepared()
    {
        var (model, onnx) = Exported();
        using var owned = model;
        using var x = Tensor.Randn([3, 1, 28, 28], 7);
        string input = Path.Combine(_dir, "in.safetensors");
        SafetensorsFile.Write(input, new Dictionary<string, Tensor> { ["x"] = x });
        var expected = OnnxCases.Forward(model, x.ToArray(), [3, 1, 28, 28]).values;
        foreach (string flag in new[] { "", " --prepared" })
        {
            string output = Path.Combine(_dir, $"out{flag.Trim()}.safetensors");
            var (code, stdout, stderr) = CliProcess.Run($"run {onnx} --input {input} --output {output}{flag}");
            Assert.True(code == 0, stderr);
            Assert.Contains($"wrote {output}", stdout);
            using var file = SafetensorsFile.Read(output);
            using var logits = file.Load("logits");
            Assert.Equal([3, 4], logits.Shape.Dims.ToArray());
            Assert.True(OnnxCases.RelativeError(expected, logits.ToArray()) <= 1e-5, $"run{flag}: the logits differ from the model's");
            Assert.Equal(2, file.Keys.Count());
        }
    }

    [Fact]
    public void ImportMapsEveryInitializerAndNodeAndWritesTheWeights()
    {
        var (model, onnx) = Exported();
        using var owned = model;
        string weights = Path.Combine(_dir, "gc.safetensors");
        var (code, stdout, stderr) = CliProcess.Run($"import {onnx} --map --out {weights}");
        Assert.True(code == 0, stderr);
        Assert.Contains("ONNX opset 17", stdout);
        Assert.Matches(@"fc\.weight \[4, 64\]\s+-> parameter fc\.weight", stdout);
        Assert.Matches(@"bn1\.running_mean \[16\]\s+-> buffer bn1\.running_mean", stdout);
        Assert.Matches(@"-> conv2d stride \(1, 1\)", stdout);
        using var file = SafetensorsFile.Read(weights);
        // The imported graph's state is the model's: every zoo tensor under its own name, with its values.
        var state = model.StateDict();
        foreach (var (key, tensor) in state)
        {
            Assert.True(file.Contains(key), $"{key} is not in the imported weights");
            using var back = file.Load(key);
            Assert.Equal(tensor.ToArray(), back.ToArray());
        }
    }

    [Fact]
    public void BadOnnxFilesAreOneLineRefusals()
    {
        string broken = Path.Combine(_dir, "broken.onnx"), output = Path.Combine(_dir, "o.safetensors");
        File.WriteAllBytes(broken, [0x0a, 0xff, 0xff]);
        using var x = Tensor.Randn([1, 1, 28, 28], 1);
        string input = Path.Combine(_dir, "in.safetensors");
        SafetensorsFile.Write(input, new Dictionary<string, Tensor> { ["x"] = x });
        var (model, onnx) = Exported();
        using var owned = model;
        using var wrongShape = Tensor.Randn([1, 3, 28, 28], 1);
        string wrongInput = Path.Combine(_dir, "wrong.safetensors");
        SafetensorsFile.Write(wrongInput, new Dictionary<string, Tensor> { ["x"] = wrongShape });
        foreach (var (args, says) in new[]
        {
            ($"import {broken} --out {output}", "is not an ONNX model"),
            ($"import {Path.Combine(_dir, "none.onnx")} --out {output}", "does not exist"),
            ($"import {onnx} --model resnet20 --out {output}", "leave out --model"),
            ($"run {onnx} --input {wrongInput} --output {output}", "cannot run on [1, 3, 28, 28]"),
        })
        {
            var (code, _, stderr) = CliProcess.Run(args);
            Assert.True(code == 2, $"{args}: exit {code}\n{stderr}");
            Assert.Contains(says, stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.False(File.Exists(output), args);
        }
    }
}
