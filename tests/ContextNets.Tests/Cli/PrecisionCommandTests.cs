using ContextNets.Export.Proto;
using ContextNets.Tests.Data;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `--precision` on train (bf16), predict and export (int8 QDQ) through the tool, and what each refuses in one line.
/// </summary>
public sealed class PrecisionCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void ABf16RunPredictsAndExportsInInt8()
    {
        string data = ColourFolders.Write(_tmp, 12, 3, ColourFolders.Apple, ColourFolders.Sky), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --data {data} --batch-size 8 --image-size 8 --epochs 1 --precision bf16 --out {run}", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("\"precision\": \"bf16\"", File.ReadAllText(Path.Combine(run, "config.json")));

        // --resume keeps the recorded precision and refuses another one.
        (code, stdout, stderr) = CliProcess.Run($"train --resume {run}", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("trains in bf16: it continues in bf16", stdout);
        (code, _, stderr) = CliProcess.Run($"train --resume {run} --precision fp32", Ci);
        Assert.Equal(2, code);
        Assert.Contains("trains in bf16; --resume continues it in bf16, so leave out --precision fp32.", stderr);

        string image = Path.Combine(data, "val", "sky", "00.png");
        (code, stdout, stderr) = CliProcess.Run($"predict {run} {image} --precision int8 --top 2", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("int8 (minmax scales): ", stdout);
        Assert.Contains("apple", stdout);
        Assert.Contains("sky", stdout);
        (code, stdout, stderr) = CliProcess.Run($"predict {run} {image} --precision int8 --calibration percentile --int8-attention --top 2", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("int8 (percentile scales): ", stdout);

        string onnx = _tmp.File("run-int8.onnx");
        (code, stdout, stderr) = CliProcess.Run($"export {run} --onnx {onnx} --precision int8", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("int8 (minmax scales): ", stdout);
        (code, stdout, stderr) = CliProcess.Run($"export {run} --onnx {onnx} --precision int8 --calibration entropy", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("int8 (entropy scales): ", stdout);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal("int8", model.MetadataProps.Single(p => p.Key == "precision").Value);
        Assert.Contains(model.Graph.Node, n => n.OpType == "QuantizeLinear");
    }

    [Fact]
    public void AZooModelCalibratesOnRandomImagesAndSaysSo()
    {
        string onnx = _tmp.File("gc.onnx");
        var (code, stdout, stderr) = CliProcess.Run($"export gc_resnet20 --onnx {onnx} --precision int8", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("The int8 scales come from random images", stdout);
        Assert.True(File.Exists(onnx));
    }

    [Theory]
    [InlineData("export resnet20 --onnx {0} --precision bf16", "--precision bf16 is not exported: ONNX Runtime's CPU provider has no bf16 Conv kernel")]
    [InlineData("export resnet20 --onnx {0} --precision fp16", "--precision is one of fp32, bf16, int8, not 'fp16'.")]
    [InlineData("train --model resnet20 --epochs 1 --out {0} --precision int8", "--precision int8 is for inference")]
    [InlineData("export resnet20 --onnx {0} --calibration percentile", "--calibration applies to --precision int8 only.")]
    [InlineData("train --model resnet20 --epochs 1 --out {0} --precision fp16", "--precision for training is fp32 or bf16, not 'fp16'.")]
    public void UnsupportedPrecisionsAreRefusedAndWriteNothing(string args, string message)
    {
        string path = _tmp.File("out.onnx");
        var (code, stdout, stderr) = CliProcess.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, args, path), Ci);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(path) || Directory.Exists(path), stdout);
    }
}
