using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.Models;

namespace ContextNets.Tests.Cli;

/// <summary>`ctxnet run` around the model: the class count read from the weights, the output file, and its refusals.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Save(string name, Dictionary<string, Tensor> tensors)
    {
        string path = Path.Combine(_dir, name);
        SafetensorsFile.Write(path, tensors);
        return path;
    }

    [Fact]
    public void TheClassCountAndChannelsComeFromTheWeightsAndTheInput()
    {
        using var model = Zoo.Create("gc_resnet20", numClasses: 3, inChannels: 3, seed: 8);
        string weights = Path.Combine(_dir, "w.safetensors");
        model.Save(weights);
        using var x = Tensor.Randn([2, 3, 28, 28], 9);
        string input = Save("in.safetensors", new() { ["x"] = x }), output = Path.Combine(_dir, "out.safetensors");

        var (code, stdout, stderr) = CliProcess.Run($"run gc_resnet20 --weights {weights} --input {input} --output {output}");
        Assert.True(code == 0, stderr);
        Assert.Contains($"wrote {output}", stdout);
        using var file = SafetensorsFile.Read(output);
        Assert.Equal("F32", file.DTypeOf("logits"));
        using var logits = file.Load("logits");
        model.Eval();
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        Assert.Equal(model.Forward(x).ToArray(), logits.ToArray());

        (code, _, stderr) = CliProcess.Run($"run gc_resnet20 --weights {weights} --input {input} --output {output} --classes 5");
        Assert.Equal(2, code);
        Assert.Contains("'fc.weight' has shape [3, 64] in the file, but the model's is [5, 64]", stderr);
    }

    [Fact]
    public void BadInputIsOneLineAndNothingIsWritten()
    {
        using var model = Zoo.Create("resnet20", seed: 1);
        string weights = Path.Combine(_dir, "w.safetensors");
        model.Save(weights);
        using var image = Tensor.Randn([1, 1, 28, 28], 2);
        string input = Save("in.safetensors", new() { ["x"] = image }), noX = Save("nox.safetensors", new() { ["images"] = image });
        string onnx = Path.Combine(_dir, "m.onnx");
        File.WriteAllBytes(onnx, [8, 1]);
        string output = Path.Combine(_dir, "out.safetensors");
        foreach (var (args, says) in new[]
        {
            ($"run {onnx} --weights {weights} --input {input} --output {output}", "leave out --weights and --classes"),
            ($"run {onnx} --input {input} --output {output}", "has no graph"),
            ($"run resnet20 --input {input} --output {output}", "--weights is required for a zoo model"),
            ($"run resnet20 --weights {weights} --input {input} --output {_dir}", "is a folder"),
            ($"run resnet20 --weights {weights} --input {noX} --output {output}", "has no tensor 'x' (it holds images)"),
            ($"run resnet20 --weights {weights} --input {input} --output {output} --classes 2000000000", "cannot be built"),
            ($"run resnet21 --weights {weights} --input {input} --output {output}", "Unknown model 'resnet21'"),
        })
        {
            var (code, stdout, stderr) = CliProcess.Run(args);
            Assert.True(code == 2, $"{args}: exit {code}\n{stderr}");
            Assert.Contains(says, stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.False(File.Exists(output), args);
        }
    }

    [Fact]
    public void Int64OutputsAreStoredAsInt64()
    {
        using var labels = Tensor.FromArray([3f, 0f, 17f], 3);
        using var scores = Tensor.FromArray([0.5f, 0.25f, 0.125f], 3);
        string path = Path.Combine(_dir, "det.safetensors");
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["labels"] = labels, ["scores"] = scores }, int64Keys: new HashSet<string> { "labels" });
        using var file = SafetensorsFile.Read(path);
        Assert.Equal("I64", file.DTypeOf("labels"));
        Assert.Equal("F32", file.DTypeOf("scores"));
        Assert.Equal([3f, 0f, 17f], file.Load("labels").ToArray());
    }
}
