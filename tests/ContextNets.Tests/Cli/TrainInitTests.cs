using ContextNets.IO;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `train --init W.safetensors` on a zoo model: the run starts from the file's weights, a head of another class count
/// is replaced, frozen stages (weights and BatchNorm statistics) stay as loaded through training and resume.
/// </summary>
public sealed class TrainInitTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    private string Data() => ColourFolders.Write(_tmp, 8, 5, ColourFolders.Apple, ColourFolders.Sky);

    /// <summary>resnet20 weights for RGB input, drawn from a seed of their own (not the run's), with BatchNorm statistics that are not 0 and 1.</summary>
    private string InitWeights(int classes)
    {
        string path = _tmp.File($"init{classes}.safetensors");
        using var model = Zoo.Create("resnet20", classes, inChannels: 3, seed: 77);
        var rng = new Random(5);
        foreach (var (key, t) in model.NamedBuffers())
        {
            var span = t.Span;
            for (int i = 0; i < span.Length; i++) span[i] = key.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + (float)rng.NextDouble() : (float)rng.NextDouble() - 0.5f;
        }
        model.Save(path);
        return path;
    }

    private static Dictionary<string, float[]> Read(string path)
    {
        using var file = SafetensorsFile.Read(path);
        return file.Keys.ToDictionary(k => k, k => { using var t = file.Load(k); return t.ToArray(); });
    }

    /// <summary>The tensors of the run's `last` checkpoint, loaded into the run's own model kind.</summary>
    private static Dictionary<string, float[]> Trained(string run, int classes)
    {
        using var model = Zoo.Create("resnet20", classes, inChannels: 3);
        Checkpoint.Load(run, Trainer.Last, model);
        return model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    private static bool InFrozenPart(string key) => key.StartsWith("conv1.", StringComparison.Ordinal) || key.StartsWith("bn1.", StringComparison.Ordinal)
        || key.StartsWith("layer1.", StringComparison.Ordinal) || key.StartsWith("layer2.", StringComparison.Ordinal);

    [Fact]
    public void FrozenStagesKeepTheLoadedWeightsAndStatisticsWhileTheRestTrainsFromThem()
    {
        string init = InitWeights(2), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --init {init} --freeze 2 --data {Data()} --epochs 2 --batch-size 4 --image-size 8 --lr 0.01 --stop-at 1 --out {run}", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"frozen: conv1, bn1, layer1, layer2", stdout);
        var before = Read(init);
        var after = Trained(run, 2);
        using (var fresh = Zoo.Create("resnet20", 2, inChannels: 3))
        {
            // Layer 3 trained from the file's values: it moved, but far less than the distance to a model of another seed.
            var w = "layer3.0.conv1.weight";
            double moved = MaxDiff(after[w], before[w]), apart = MaxDiff(fresh.StateDict()[w].ToArray(), before[w]);
            Assert.True(moved > 0 && moved < apart / 10, $"{w} moved {moved} from the init; the init is {apart} from a fresh model");
        }
        foreach (var (key, value) in after.Where(kv => InFrozenPart(kv.Key)))
            Assert.True(before[key].SequenceEqual(value), $"{key} moved although frozen");
        Assert.False(before["layer3.0.bn1.running_mean"].SequenceEqual(after["layer3.0.bn1.running_mean"]), "a trained stage's BatchNorm statistics did not move");
        Assert.False(before["fc.weight"].SequenceEqual(after["fc.weight"]));

        // The resumed run rebuilds the same frozen network from its config: the frozen part still has not moved.
        var resumed = CliProcess.Run($"train --resume {run}", Ci, 120);
        Assert.True(resumed.exitCode == 0, resumed.stderr + resumed.stdout);
        Assert.Contains("after 2 epochs", resumed.stdout);
        var final = Trained(run, 2);
        foreach (var (key, value) in final.Where(kv => InFrozenPart(kv.Key)))
            Assert.True(before[key].SequenceEqual(value), $"{key} moved in the resumed epoch although frozen");
        Assert.False(after["layer3.0.conv1.weight"].SequenceEqual(final["layer3.0.conv1.weight"]), "the resumed epoch did not train");
    }

    [Fact]
    public void AHeadOfAnotherClassCountIsReplacedAndNamed()
    {
        string init = InitWeights(10), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --init {init} --head 2 --freeze backbone --data {Data()} --epochs 1 --batch-size 4 --image-size 8 --lr 0.01 --out {run}", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"Replaced the head: fc.weight [10, 64], fc.bias [10] of the 10 classes in init10.safetensors start anew for 2 classes.", stdout);
        var before = Read(init);
        var after = Trained(run, 2);
        foreach (var (key, value) in after.Where(kv => !kv.Key.StartsWith("fc.", StringComparison.Ordinal)))
            Assert.True(before[key].SequenceEqual(value), $"{key} is not the file's although the backbone is frozen");
        Assert.Equal(2 * 64, after["fc.weight"].Length);
    }

    [Fact]
    public void ABackboneLearningRateIsRecordedAndGivesTheBackboneItsOwnGroups()
    {
        string init = InitWeights(2), run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train --model resnet20 --init {init} --lr-backbone 0.001 --data {Data()} --epochs 1 --batch-size 4 --image-size 8 --lr 0.01 --out {run}", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("backbone lr 0.001", stdout);
        string config = File.ReadAllText(Path.Combine(run, "config.json"));
        Assert.Contains("\"backbone_lr_scale\": 0.1", config);
        Assert.Contains("\"fc.weight\"", config);
    }

    [Theory]
    [InlineData("--model resnet20 --init {missing}", "The --init file")]
    [InlineData("--model resnet20 --init {garbage}", "cannot be used")]
    [InlineData("--model gc_resnet20 --init {init}", "does not fit gc_resnet20")]
    [InlineData("--model resnet20 --init {init} --freeze 4", "--freeze is 'stem', a number of stages from 1 to 3")]
    [InlineData("--model resnet20 --init {init} --freeze layer1", "not 'layer1'")]
    [InlineData("--model resnet20 --init {init} --head 3", "--head 3 does not match the data, which has 2 classes")]
    [InlineData("--model resnet20 --freeze 1", "give them with --init FILE")]
    [InlineData("--model resnet20 --init {init} --lr-backbone -1", "--lr-backbone must be a positive number")]
    [InlineData("--model resnet20 --init {init} --features x", "--features names a value of an ONNX graph")]
    [InlineData("--model resnet20 --init {init} --from-scratch", "--from-scratch takes the network of an ONNX --init")]
    public void BadFineTuningInputIsAOneLineRefusalAndLeavesNoRunFolder(string options, string expected)
    {
        string garbage = _tmp.Write("garbage.safetensors", [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37))]);
        string args = options.Replace("{missing}", _tmp.File("none.safetensors")).Replace("{garbage}", garbage).Replace("{init}", InitWeights(2));
        string run = _tmp.File("run");
        var (code, stdout, stderr) = CliProcess.Run($"train {args} --data {Data()} --epochs 1 --batch-size 4 --image-size 8 --out {run}", Ci);
        Assert.True(code == 2, $"exit {code}: {stderr}{stdout}");
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(run), $"{run} was left behind");
    }

    private static double MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
