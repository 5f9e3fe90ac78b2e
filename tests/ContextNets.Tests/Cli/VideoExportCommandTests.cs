using ContextNets.Export.Proto;
using ContextNets.IO;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Tests.Data.Clips;
using ContextNets.Tests.Export;
using ContextNets.Tests.Support;
using ContextNets.Training;
using Xunit.Abstractions;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet export` of video networks and video runs: the graph takes clips [N, C, T, H, W], every BatchNorm3d after a
/// Conv3d is folded into it (no BatchNormalization node is left), and ONNX Runtime gives our eval forward's logits
/// to 1e-4 of their scale, with weights and BN statistics that are not the identity.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class VideoExportCommandTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("c2d_small", 8, 48)]
    [InlineData("i3d_small_nl", 8, 48)]
    [InlineData("r2plus1d_18", 4, 32)]
    public void AVideoNetworkWithTheWeightsOfAFileMatchesOnnxRuntime(string name, int frames, int side)
    {
        string weights = _tmp.File(name + ".safetensors"), path = _tmp.File(name + ".onnx");
        using var model = VideoZoo.Create(name, seed: 3);
        OnnxCases.Randomize(model, 31);
        model.Save(weights);

        var (code, stdout, stderr) = CliProcess.Run($"export {name} --weights {weights} --onnx {path} --image-size {side} --clip-frames {frames} --dynamic-batch", Ci, 180);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"input [1, 3, {frames}, {side}, {side}] -> output [1, {VideoZoo.Entry(name).DefaultClasses}], dynamic batch", stdout);
        AssertFoldedAndMatching(name, model, path, [2, 3, frames, side, side]);
    }

    [Fact]
    public void AVideoRunExportsWithItsClipsClassesAndNormalization()
    {
        foreach (var (split, clips) in new[] { ("train", 4), ("val", 1) })
            foreach (var clas in new[] { "left", "right" })
                for (int i = 0; i < clips; i++) ClipFolderTests.WriteClip(_tmp, Path.Combine("clips", split, clas), $"clip{i}", 5, width: 36, height: 32);
        string run = _tmp.File("run"), path = _tmp.File("run.onnx");
        var train = CliProcess.Run($"train --task video --model i3d_small_nl --data {_tmp.File("clips")} --clip-frames 4 --clip-stride 1 --clip-size 32 --epochs 1 --batch-size 4 --out {run}", Ci, 240);
        Assert.True(train.exitCode == 0, train.stderr + train.stdout);

        var (code, stdout, stderr) = CliProcess.Run($"export {run} --onnx {path} --checkpoint last", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"i3d_small_nl from {run} ('last', epoch 1)", stdout);
        Assert.Contains("input [1, 3, 4, 32, 32] -> output [1, 2]", stdout);
        Assert.Contains("the run samples 4 frames 1 apart", stdout);
        var meta = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("left,right", meta["classes"]);
        Assert.Equal("4", meta["frames"]);
        Assert.Equal("32", meta["image_size"]);
        Assert.Equal("video", meta["task"]);

        // The checkpoint after a training epoch: BN statistics of real clips, a trained NL block.
        using var model = VideoZoo.Create("i3d_small_nl", numClasses: 2, inChannels: 3);
        Checkpoint.Load(run, Trainer.Last, model);
        AssertFoldedAndMatching("the i3d_small_nl run", model, path, [1, 3, 4, 32, 32]);
    }

    [Theory]
    [InlineData("export c2d_small --onnx {0} --precision int8", "--precision int8 is not exported for video networks")]
    [InlineData("export c2d_small --onnx {0} --precision bf16", "--precision bf16 is not exported for video networks")]
    [InlineData("export c2d_small --onnx {0} --clip-frames 0", "--clip-frames must be at least 1, not 0")]
    [InlineData("export c2d_small --onnx {0} --clip-frames 1", "is too small for a 2x1x1 pooling")]
    [InlineData("export resnet20 --onnx {0} --clip-frames 4", "--clip-frames sets a video network's clip length; resnet20 takes images")]
    public void BadVideoExportsAreRefusedInOneLineAndWriteNothing(string args, string message)
    {
        string path = _tmp.File("bad.onnx");
        var (code, stdout, stderr) = CliProcess.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, args, path), Ci);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(path), stdout);
    }

    private void AssertFoldedAndMatching(string what, Module model, string path, int[] shape)
    {
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Contains(graph.Node, n => n.OpType == "Conv" && n.Attribute.Single(a => a.Name == "kernel_shape").Ints.Count == 3);
        OnnxCases.AssertMatches(tools, output, what, model, path, shape, 7, Tolerance);
    }
}
