using ContextNets.Tests.Support;
using ContextNets.Autograd;
using ContextNets.Export.Proto;
using ContextNets.IO;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Tests.Export;

namespace ContextNets.Tests.Cli;

[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class ExportCommandTests(OnnxTools tools) : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void AZooModelExportsWithItsRandomInitializationAndSaysSo()
    {
        string path = _tmp.File("out/resnet20.onnx");
        var (code, stdout, stderr) = CliProcess.Run($"export se_resnet20 --onnx {path} --opset 15 --dynamic-batch", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"Wrote {path}: se_resnet20 with its random initialization", stdout);
        Assert.Contains("opset 15 (IR 8), input [1, 1, 28, 28] -> output [1, 10], dynamic batch", stdout);
        Assert.Contains("outputs mean nothing", stdout);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal(15, model.OpsetImport.Single().Version);
        Assert.Equal("batch", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("random initialization", model.MetadataProps.Single(p => p.Key == "weights").Value);
        Assert.Null(tools.Check(path));
    }

    [Theory]
    [InlineData("export resnet20 --onnx {0} --opset 12", "opsets 13 to 17, not 12")]
    [InlineData("export resnet20 --onnx {0} --opset 18", "opsets 13 to 17, not 18")]
    [InlineData("export no_such_model --onnx {0}", "'no_such_model' is neither a run folder nor a zoo model")]
    [InlineData("export resnet20 --onnx {0} --image-size 0", "--image-size must be positive")]
    [InlineData("export nlresnet50 --onnx {0} --image-size 16", "sub_sample needs H and W of at least 2")]
    public void BadRequestsFailWithAClearMessageAndWriteNothing(string args, string message)
    {
        string path = _tmp.File("bad.onnx");
        var (code, stdout, stderr) = CliProcess.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, args, path), Ci);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(path), stdout);
    }

    [Fact]
    public void AnOnnxPathThatIsAFolderIsRefusedBeforeTheWork()
    {
        var (code, _, stderr) = CliProcess.Run($"export resnet20 --onnx {_tmp.Path}", Ci);
        Assert.Equal(2, code);
        Assert.Equal($"--onnx {_tmp.Path} is a folder; give the file to write, such as {Path.Combine(_tmp.Path, "model.onnx")}.", stderr.Trim());
    }

    [Fact]
    public void ATrainedRunExportsWithItsClassesAndNormalization()
    {
        string data = _tmp.File("images"), run = _tmp.File("run"), path = _tmp.File("run.onnx");
        var rng = new Random(5);
        foreach (var split in new[] { "train", "val" })
            foreach (var (name, rgb) in new[] { ("apple", new byte[] { 200, 30, 30 }), ("sky", new byte[] { 30, 60, 210 }) })
                for (int i = 0; i < 4; i++)
                {
                    var px = new byte[8 * 8 * 3];
                    for (int k = 0; k < px.Length; k++) px[k] = (byte)Math.Clamp(rgb[k % 3] + rng.Next(-20, 21), 0, 255);
                    _tmp.Write(Path.Combine("images", split, name, $"{i}.png"), Png.Encode(px, 8, 8, 3));
                }
        var train = CliProcess.Run($"train --model gc_resnet20 --data {data} --epochs 1 --batch-size 4 --image-size 8 --out {run}", Ci);
        Assert.True(train.exitCode == 0, train.stderr + train.stdout);

        var (code, stdout, stderr) = CliProcess.Run($"export {run} --onnx {path} --checkpoint last", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"gc_resnet20 from {run} ('last', epoch 1)", stdout);
        Assert.Contains("input [1, 3, 8, 8] -> output [1, 2]", stdout);
        Assert.Contains("normalized as in training", stdout);
        var meta = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("apple,sky", meta["classes"]);
        Assert.Equal("gc_resnet20", meta["model"]);
        Assert.Equal("8", meta["image_size"]);
        Assert.Equal(3, meta["mean"].Split(',').Length);
        Assert.Null(tools.Check(path));

        var larger = CliProcess.Run($"export {run} --onnx {path} --image-size 16", Ci);
        Assert.True(larger.exitCode == 0, larger.stderr);
        Assert.Contains("input [1, 3, 16, 16]", larger.stdout);
    }
    [Fact]
    public void AZooModelExportsWithTheWeightsOfAFile()
    {
        string weights = _tmp.File("r20.safetensors"), path = _tmp.File("r20.onnx");
        float[] input = Enumerable.Range(0, 28 * 28).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        float[] expected;
        using (var model = Zoo.Create("resnet20", seed: 11))
        using (Tensor.Scope())
        {
            model.Save(weights);
            model.Eval();
            using var x = Tensor.FromArray(input, [1, 1, 28, 28]);
            using (GradMode.NoGrad()) expected = model.Forward(x).ToArray();
        }

        var (code, stdout, stderr) = CliProcess.Run($"export resnet20 --weights {weights} --map --onnx {path}", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("resnet20: ", stdout);
        Assert.Contains("0 missing", stdout);
        Assert.Matches(@"(?m)^conv1\.weight \[16, 1, 3, 3\] +-> conv1\.weight$", stdout);
        Assert.DoesNotContain("outputs mean nothing", stdout);
        Assert.Equal(Path.GetFullPath(weights), ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).MetadataProps.Single(p => p.Key == "weights").Value);
        var (actual, _) = tools.Run(path, input, [1, 1, 28, 28]);
        double scale = expected.Max(MathF.Abs), error = expected.Zip(actual, (a, b) => (double)MathF.Abs(a - b)).Max();
        Assert.True(error <= 1e-4 * scale, $"ONNX Runtime differs from the loaded model by {error} (scale {scale})");

        var onRun = CliProcess.Run($"export {_tmp.File("")} --weights {weights} --onnx {path}", Ci);
        Assert.Equal(2, onRun.exitCode);
        Assert.Contains("--weights is for a zoo model", onRun.stderr);
    }
}
