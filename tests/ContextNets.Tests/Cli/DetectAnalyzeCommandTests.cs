using System.Text.Json.Nodes;
using ContextNets.Detection;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet analyze` on a detection run: the GC blocks of GCNet's detector body (c3-c5, 13 of them) get their pooling
/// maps over the run's val images as the detector sees them; a detector without attention maps is refused in one
/// line. A ResNet-50 detector is written and read back, so the class is in the external tier.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class DetectAnalyzeCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>A detection run on <see cref="TinyCoco"/> (half its images for validation) with the `last` checkpoint of an untrained <paramref name="detector"/>.</summary>
    private string RunFolder(string detector)
    {
        TinyCoco.Write(_tmp.Path);
        string run = _tmp.File("run");
        Directory.CreateDirectory(run);
        var recipe = new JsonObject
        {
            ["Model"] = detector, ["ImageSize"] = 64, ["Data"] = "coco", ["ValFraction"] = 0.5,
            ["CocoAnnotations"] = _tmp.File("instances.json"), ["CocoImages"] = _tmp.File("images"),
            ["ClassNames"] = new JsonArray(["background", .. TinyCoco.Categories.Select(c => (JsonNode)c)]),
        };
        File.WriteAllText(Path.Combine(run, "detect.json"), recipe.ToJsonString());
        using var model = DetectionZoo.Create(detector, 1 + TinyCoco.Categories.Length, seed: 3, fromScratch: true);
        Checkpoint.Save(run, Trainer.Last, model, new TrainingState { Epoch = 1 });
        return run;
    }

    [Fact]
    public void GcNetsDetectorGetsAPoolingMapPerBlockOverTheValImages()
    {
        string run = RunFolder("gc_maskrcnn_resnet50_fpn"), report = _tmp.File("report");
        var (code, stdout, stderr) = CliProcess.Run($"analyze {run} --images 2 --show 1 --out {report}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        var pooling = JsonNode.Parse(File.ReadAllText(Path.Combine(report, "stats.json")))!["pooling"]!.AsArray();
        string[] expected = [.. new[] { (2, 4), (3, 6), (4, 3) }.SelectMany(s => Enumerable.Range(0, s.Item2).Select(b => $"backbone.body.layer{s.Item1}.{b}.se"))];
        Assert.Equal(expected, pooling.Select(p => (string)p!["name"]!));
        // 48x40 images at min and max size 64 are 64x53, padded to 64x64: c3 is 8x8, c4 4x4, c5 2x2.
        Assert.Equal(64, (int)pooling[0]!["positions"]!);
        Assert.Equal(16, (int)pooling[4]!["positions"]!);
        Assert.Equal(4, (int)pooling[12]!["positions"]!);
        Assert.All(expected, name => Assert.True(File.Exists(Path.Combine(report, $"gc-{name}.png")), $"no picture of {name}"));
        // Each map's weight on the val images' objects and their share of its area, one value per image (RegionMassTests checks the arithmetic).
        Assert.All(pooling, p => Assert.All(new[] { "region_mass", "region_area" }, key =>
        {
            var values = p![key]!["per_image"]!.AsArray().Select(v => (double)v!).ToList();
            Assert.Equal(2, values.Count);
            Assert.All(values, v => Assert.InRange(v, 0, 1 + 1e-6));
        }));
        Assert.Contains("checkpoint 'last' (epoch 1), 2 test images", stdout);
    }

    [Fact]
    public void ADetectorWithoutAttentionMapsIsRefused()
    {
        string run = RunFolder("maskrcnn_resnet18_fpn"), report = _tmp.File("report");
        var (code, _, stderr) = CliProcess.Run($"analyze {run} --images 2 --out {report}", timeoutSeconds: 300);
        Assert.Equal(2, code);
        Assert.Contains("maskrcnn_resnet18_fpn has no attention block at all", stderr);
        Assert.Contains("--model gc_maskrcnn_resnet50_fpn", stderr);
        Assert.False(Directory.Exists(report));
    }
}
