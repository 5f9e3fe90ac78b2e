using ContextNets.Export;
using ContextNets.Import;
using ContextNets.Models;
using ContextNets.Tests.Data;
using ContextNets.Tests.Export;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>`train --init FILE.onnx`: an exported zoo graph becomes the frozen or trained backbone of a new Linear head.</summary>
public sealed class TrainOnnxInitTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    /// <summary>resnet20 for RGB 8x8 input with random weights and statistics, exported with its BatchNormalization nodes.</summary>
    private string Exported()
    {
        string path = _tmp.File("r20.onnx");
        using var model = Zoo.Create("resnet20", numClasses: 5, inChannels: 3, seed: 9);
        OnnxCases.Randomize(model, 9);
        model.ExportOnnx(path, new OnnxExportOptions { InputShape = new Shape(1, 3, 8, 8), DynamicBatch = true, Opset = 17, FoldBatchNorm = false });
        return path;
    }

    [Fact]
    public void AFrozenGraphKeepsItsTensorsWhileTheNewHeadTrainsAndTheRunEvaluatesAndResumes()
    {
        string onnx = Exported(), run = _tmp.File("run");
        string data = ColourFolders.Write(_tmp, 8, 5, ColourFolders.Apple, ColourFolders.Sky);
        var (code, stdout, stderr) = CliProcess.Run($"train --init {onnx} --freeze backbone --data {data} --epochs 2 --batch-size 4 --lr 0.05 --stop-at 1 --out {run}", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("Model: onnx", stdout);
        Assert.Contains("3x8x8 input, 2 classes", stdout);

        using var graph = OnnxModel.Load(onnx);
        var file = graph.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        using (var trained = new OnnxClassifier(OnnxModel.Load(onnx), 2, 3, 8, seed: 1))
        {
            var initialHead = trained.Head.Weight.ToArray();
            Checkpoint.Load(run, Trainer.Last, trained);
            foreach (var (key, t) in trained.Backbone.StateDict())
                Assert.True(file[key].SequenceEqual(t.ToArray()), $"backbone.{key} moved although frozen");
            Assert.Equal(5, trained.Head.InFeatures);
            Assert.False(initialHead.SequenceEqual(trained.Head.Weight.ToArray()), "the head did not train");
        }

        var eval = CliProcess.Run($"eval {run}", Ci);
        Assert.True(eval.exitCode == 0, eval.stderr);
        Assert.Matches(@"^onnx, checkpoint 'best' \(epoch 1\), on 10 test images", eval.stdout);

        var resumed = CliProcess.Run($"train --resume {run}", Ci, 120);
        Assert.True(resumed.exitCode == 0, resumed.stderr + resumed.stdout);
        Assert.Contains("after 2 epochs", resumed.stdout);
    }

    [Fact]
    public void FeaturesFromInsideTheGraphAreAveragedIntoTheHead()
    {
        string onnx = Exported(), run = _tmp.File("run");
        using var graph = OnnxModel.Load(onnx);
        // The last ReLU's output: the 64-channel map before the global pool and the classifier.
        string relu = graph.Ops.Last(o => o.Node.OpType == "Relu").Node.Output[0];
        string data = ColourFolders.Write(_tmp, 8, 2, ColourFolders.Apple, ColourFolders.Sky);
        var (code, stdout, stderr) = CliProcess.Run($"train --init {onnx} --features {relu} --data {data} --epochs 1 --batch-size 4 --lr 0.05 --out {run}", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"a new head on {relu}", stdout);
        Assert.Contains("\"features\": \"" + relu + "\"", File.ReadAllText(Path.Combine(run, "config.json")));

        var bad = CliProcess.Run($"train --init {onnx} --features nowhere --data {data} --out {_tmp.File("bad")}", Ci);
        Assert.Equal(2, bad.exitCode);
        Assert.Contains("No node of the graph makes a value named 'nowhere'", bad.stderr);
        var model = CliProcess.Run($"train --init {onnx} --model resnet20 --data {data} --out {_tmp.File("bad")}", Ci);
        Assert.Equal(2, model.exitCode);
        Assert.Contains("is an ONNX graph, which is the model: leave out --model", model.stderr);
        Assert.False(Directory.Exists(_tmp.File("bad")));
    }
}
