using System.Text.Json;
using System.Text.Json.Nodes;
using ContextNets.Models.Segmentation;
using ContextNets.Tests.Data;
using ContextNets.Tests.Data.Segmentation;
using ContextNets.Tests.Support;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet analyze RUN` on segmentation runs (segment.json and a 'best' checkpoint, written here without training,
/// over a tiny label-map folder): a ccnet_gcresnet50 run gets the criss-cross module's query maps and the GC blocks'
/// pooling maps drawn over its val images, in stats.json and report.md; an FCN on a plain body is refused in one line;
/// a segmenter given by its name and weights file is analyzed over the generated val scenes.
/// The class runs in the external tier for its cost only (a ResNet-50 checkpoint written and read, about ten seconds).
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class SegmentAnalyzeCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "2" };

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void DrawsTheCrissCrossAndGcMapsOverTheValImages()
    {
        string run = RunFolder("ccnet_gcresnet50"), report = _tmp.File("report");
        var (code, stdout, stderr) = CliProcess.Run($"analyze {run} --images 2 --queries 2 --show 1 --out {report}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Contains("classifier.cca (CCA", stdout, StringComparison.Ordinal);
        Assert.Contains("backbone.layer4.2.se (GlobalContext", stdout, StringComparison.Ordinal);
        var pictures = Directory.GetFiles(report, "*.png").Select(Path.GetFileName).ToList();
        Assert.Contains("cca-classifier.cca.png", pictures);
        Assert.Contains(pictures, p => p!.StartsWith("gc-backbone.layer4", StringComparison.Ordinal));
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "stats.json")));
        Assert.Contains("classifier.cca", stats.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("the val split of", File.ReadAllText(Path.Combine(report, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void ASegmenterWithoutAttentionMapsIsRefused()
    {
        string run = RunFolder("fcn_resnet18");
        var (code, _, stderr) = CliProcess.Run($"analyze {run}", Ci, timeoutSeconds: 300);
        Assert.Equal(2, code);
        Assert.Contains("fcn_resnet18 has no attention map to analyze", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void ASegmenterNamedWithItsWeightsIsAnalyzedOverTheScenes()
    {
        string weights = _tmp.File("cc.safetensors"), report = _tmp.File("named");
        using (var net = Segmenters.Create("ccnet_resnet18", 11, outputStride: 16, seed: 1))
            ContextNets.IO.SafetensorsFile.Write(weights, net.StateDict());
        var (code, stdout, stderr) = CliProcess.Run($"analyze ccnet_resnet18 --weights {weights} --classes 11 --size 64 --images 2 --queries 2 --show 1 --out {report}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Contains($"ccnet_resnet18, weights '{weights}', 2 test images", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(report, "cca-classifier.cca.png")));
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "stats.json")));
        Assert.Equal(weights, stats.RootElement.GetProperty("weights").GetString());
        Assert.Contains("the first 2 generated val scenes at 64 px", File.ReadAllText(Path.Combine(report, "report.md")), StringComparison.Ordinal);

        // Without weights, or with --weights beside a run folder, one line and exit 2.
        (code, _, stderr) = CliProcess.Run($"analyze ccnet_resnet18 --out {report}", Ci);
        Assert.Equal(2, code);
        Assert.Contains("needs its --weights", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run($"analyze {RunFolder("ccnet_resnet18")} --weights {weights}", Ci);
        Assert.Equal(2, code);
        Assert.Contains("--weights, --classes and --size are for a segmenter given by its name", stderr, StringComparison.Ordinal);
    }

    private string RunFolder(string model)
    {
        string data = LabelMapData.Write(_tmp, count: 2, width: 40, height: 30), run = _tmp.File(model);
        using var net = Segmenters.Create(model, LabelMapData.Classes.Length, outputStride: 8, seed: 1);
        Checkpoint.Save(run, "best", net, new TrainingState { Epoch = 1 });
        var config = new JsonObject
        {
            ["model"] = model,
            ["data"] = data,
            ["train_scenes"] = 2,
            ["val_scenes"] = 2,
            ["classes"] = new JsonArray([.. LabelMapData.Classes.Select(c => JsonValue.Create(c))]),
            ["recipe"] = new JsonObject { ["base_size"] = 64, ["output_stride"] = 8 },
        };
        File.WriteAllText(Path.Combine(run, "segment.json"), config.ToJsonString());
        return run;
    }
}
