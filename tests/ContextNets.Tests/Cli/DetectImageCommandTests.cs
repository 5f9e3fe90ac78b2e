using System.Text.Json.Nodes;
using ContextNets.Data;
using ContextNets.Data.Detection;
using ContextNets.Data.Scenes;
using ContextNets.Detection;
using ContextNets.IO;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet detect`: its JSON holds what the in-process detector finds (<see cref="ImageDetection.Detect"/> on the same
/// weights and image), its picture has each box's colour along the box's edges, a run folder names the classes, and
/// bad requests are refused in one line with nothing written. Each case runs the tool and a Mask R-CNN (seconds on a
/// loaded machine), so the class is in the external tier.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class DetectImageCommandTests : IDisposable
{
    private const string Detector = "maskrcnn_resnet18_fpn";
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>A 90x72 PNG: a noisy ground with a bright rectangle and a dark one.</summary>
    private string Picture(string name = "scene.png")
    {
        const int w = 90, h = 72;
        var rng = new Rng(21);
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    px[(y * w + x) * 3 + c] = (byte)(x is >= 10 and < 40 && y is >= 8 and < 50 ? 230 - 30 * c : x is >= 50 and < 80 && y is >= 30 and < 66 ? 20 + 10 * c : 90 + rng.NextInt(60));
        return _tmp.Write(name, Png.Encode(px, w, h, 3));
    }

    private static JsonNode Json(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    [Fact]
    public void TheJsonHoldsWhatTheDetectorFindsInProcess()
    {
        string image = Picture(), weights = _tmp.File("w.safetensors"), outDir = _tmp.File("out");
        var settings = new DetectorSettings { MinSize = 64, MaxSize = 96 };
        using var model = DetectionZoo.Create(Detector, 3, settings, seed: 4);
        model.Save(weights);
        model.Eval();
        var expected = ImageDetection.Detect(model, ImageDecoder.Load(image), 0.1f);
        Assert.True(expected.Count > 0, "the untrained detector finds nothing above 0.1 on the picture");

        var (code, stdout, stderr) = CliProcess.Run($"detect {Detector} {image} --weights {weights} --min-size 64 --max-size 96 --score-threshold 0.1 --out {outDir}", timeoutSeconds: 300);
        Assert.True(code == 0, stderr + stdout);
        var json = Json(Path.Combine(outDir, "scene.detections.json"));
        Assert.Equal((90, 72), ((int)json["width"]!, (int)json["height"]!));
        Assert.Equal(Detector, (string)json["model"]!);
        var found = json["detections"]!.AsArray();
        Assert.Equal(expected.Count, found.Count);
        for (int k = 0; k < expected.Count; k++)
        {
            var d = found[k]!;
            Assert.Equal(expected.Boxes.AsSpan(4 * k, 4).ToArray(), d["box"]!.AsArray().Select(v => (float)v!).ToArray());
            Assert.Equal(expected.Scores[k], (float)d["score"]!);
            Assert.Equal(expected.Labels[k], (long)d["label"]!);
            Assert.Null(d["class"]);
            var mask = d["mask"]!;
            Assert.Equal([72, 90], mask["size"]!.AsArray().Select(v => (int)v!));
            var inside = CocoShape.FromRuns([.. mask["counts"]!.AsArray().Select(v => (int)v!)]).Rasterize(72, 90, 0, 0, 90, 72);
            var probabilities = expected.Masks.AsSpan(k * 72 * 90, 72 * 90).ToArray();
            Assert.Equal(probabilities.Select(p => p > 0.5f ? (byte)1 : (byte)0), inside);
        }
    }

    [Fact]
    public void ARunsPictureHasTheBoxColoursAtTheBoxEdgesAndItsJsonTheClassNames()
    {
        string run = RunFolder(), image = Picture(), outDir = _tmp.File("out");
        var (code, stdout, stderr) = CliProcess.Run($"detect {run} {image} --score-threshold 0 --out {outDir}", timeoutSeconds: 300);
        Assert.True(code == 0, stderr + stdout);
        var found = Json(Path.Combine(outDir, "scene.detections.json"))["detections"]!.AsArray();
        Assert.NotEmpty(found);
        Assert.All(found, d => Assert.Contains((string)d!["class"]!, Scene.SemanticClasses.Skip(1)));
        Assert.All(found, d => Assert.Equal(Scene.SemanticClasses[(int)d!["label"]!], (string)d["class"]!));
        var picture = ImageDecoder.Load(Path.Combine(outDir, "scene.detections.png"));
        Assert.Equal((90, 72), (picture.Width, picture.Height));
        // The best detection is drawn last: its bottom edge, and its sides below its caption, are its colour alone.
        var best = found[0]!;
        var color = Convert.FromHexString(((string)best["color"]!)[1..]);
        var (left, top, right, bottom) = DetectionPicture.Outline([.. best["box"]!.AsArray().Select(v => (float)v!)], 90, 72);
        int below = top + Canvas.LineHeight(DetectionPicture.TextSize);
        var edge = Enumerable.Range(left, right - left + 1).Select(x => (x, bottom))
            .Concat(Enumerable.Range(below, Math.Max(0, bottom - below + 1)).SelectMany(y => new[] { (left, y), (right, y) }));
        foreach (var (x, y) in edge) Assert.Equal(color, new[] { picture[y, x, 0], picture[y, x, 1], picture[y, x, 2] });
    }

    /// <summary>A detection run as ctxnet train --task detect leaves it after an epoch: detect.json and the `last` checkpoint of an untrained detector.</summary>
    private string RunFolder()
    {
        string run = _tmp.File("run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "detect.json"), $"{{\"Model\": \"{Detector}\", \"ImageSize\": 64}}");
        using var model = DetectionZoo.Create(Detector, Scene.SemanticClasses.Count, seed: 5, fromScratch: true);
        Checkpoint.Save(run, Trainer.Last, model, new TrainingState { Epoch = 1 });
        return run;
    }

    [Theory]
    [InlineData("missing", "The image {dir}/nothing.png does not exist.")]
    [InlineData("corrupt", "is neither PNG nor JPEG")]
    [InlineData("classification run", "is a classification run, not a detection run")]
    [InlineData("no weights", "needs its --weights")]
    [InlineData("threshold", "--score-threshold is a score in [0, 1], not 1.5")]
    public void BadRequestsAreRefusedInOneLineWithNothingWritten(string what, string message)
    {
        string image = Picture(), outDir = _tmp.File("out"), dir = _tmp.Path;
        string args = what switch
        {
            "missing" => $"detect {Detector} {dir}/nothing.png --weights w",
            "corrupt" => $"detect {Detector} {_tmp.Write("bad.png", [0x50, 0x4b, 3, 4, 0, 0])} --weights w",
            "classification run" => $"detect {ClassificationRun()} {image}",
            "no weights" => $"detect {Detector} {image}",
            _ => $"detect {Detector} {image} --score-threshold 1.5",
        };
        var (code, _, stderr) = CliProcess.Run($"{args} --out {outDir}");
        Assert.Equal(2, code);
        Assert.Contains(message.Replace("{dir}", dir), stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(outDir), $"{outDir} was written");
    }

    private string ClassificationRun()
    {
        string run = _tmp.File("classify");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "config.json"), "{\"model\": \"resnet20\"}");
        return run;
    }
}
