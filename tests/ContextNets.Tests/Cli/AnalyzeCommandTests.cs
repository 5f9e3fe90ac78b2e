using System.Text.Json.Nodes;
using ContextNets.Analysis;
using ContextNets.Attention;
using ContextNets.Data;
using ContextNets.IO;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

public sealed class AnalyzeCommandTests : IDisposable
{
    private const int Size = 16, TestImages = 6;
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    /// <summary>16x16 PNGs of a bright square on a dark ground, left or right: train/ and val/ of two classes.</summary>
    private string ImageFolder()
    {
        var rng = new Random(3);
        foreach (var (split, count) in new[] { ("train", 2), ("val", TestImages / 2) })
            foreach (var (name, side) in new[] { ("left", 0), ("right", Size / 2) })
                for (int i = 0; i < count; i++)
                {
                    var px = new byte[Size * Size * 3];
                    int top = rng.Next(Size - 5), left = side + rng.Next(Size / 2 - 5);
                    for (int y = 0; y < Size; y++)
                        for (int x = 0; x < Size; x++)
                            for (int c = 0; c < 3; c++)
                                px[(y * Size + x) * 3 + c] = (byte)(y >= top && y < top + 5 && x >= left && x < left + 5 ? 220 - 40 * c : rng.Next(40));
                    _tmp.Write(Path.Combine("images", split, name, $"{i:D2}.png"), Png.Encode(px, Size, Size, 3));
                }
        return _tmp.File("images");
    }

    /// <summary>A run folder as ctxnet train leaves it (config.json and a 'best' checkpoint), with an untrained model whose NL embeddings are drawn wide enough to give uneven maps.</summary>
    private string RunFolder(string model)
    {
        string data = ImageFolder(), run = _tmp.File(model);
        using var net = Zoo.Create(model, 2, 3, seed: 11);
        foreach (var (_, m) in net.NamedModules())
            if (m is NonLocal nl)
                foreach (var conv in new[] { nl.Theta!, nl.Phi! }) Initializers.Normal(0.3)(conv.Weight.Span);
        Checkpoint.Save(run, Trainer.Best, net, new TrainingState { Epoch = 1 });
        var config = new JsonObject
        {
            ["model"] = model,
            ["data"] = data,
            ["image_size"] = Size,
            ["preprocess"] = "center-crop",
            ["in_channels"] = 3,
            ["classes"] = new JsonArray("left", "right"),
            ["mean"] = new JsonArray(0.485, 0.456, 0.406),
            ["std"] = new JsonArray(0.229, 0.224, 0.225),
        };
        File.WriteAllText(Path.Combine(run, "config.json"), config.ToJsonString());
        return run;
    }

    private static JsonNode Stats(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "stats.json")))!;

    [Fact]
    public void NonLocalRunGetsTheTableAndTheHeatMaps()
    {
        string run = RunFolder("nl_resnet20"), report = _tmp.File("report");
        var (code, stdout, stderr) = CliProcess.Run($"analyze {run} --images {TestImages} --queries 3 --show 2 --out {report}", Ci);
        Assert.True(code == 0, stderr + stdout);
        Assert.Matches(@"layer2\.1\.non_local_block \(NL embedded_gaussian, 8x8\): attention cosine \S+, JSD \S+; cosine input \S+ -> output \S+", stdout);

        var nl = Stats(report)["non_local"]!.AsArray().Single()!;
        Assert.Equal("layer2.1.non_local_block", (string)nl["name"]!);
        Assert.Equal(64, (int)nl["positions"]!);
        Assert.Equal(64, (int)nl["keys"]!);
        Assert.Equal(3, nl["query_points"]!.AsArray().Count);
        foreach (var key in new[] { "attention_cosine", "attention_jsd", "attention_entropy", "input_cosine", "output_cosine" })
        {
            var values = nl[key]!["per_image"]!.AsArray().Select(v => (double)v!).ToArray();
            Assert.Equal(TestImages, values.Length);
            Assert.All(values, v => Assert.InRange(v, 0, 1));
            Assert.Equal(values.Average(), (double)nl[key]!["mean"]!, 1e-12);
        }
        // Uneven maps from wide embeddings: the queries differ, and the attention-weighted context is smoother than its input.
        Assert.True((double)nl["attention_jsd"]!["mean"]! > 1e-4, nl.ToJsonString());
        Assert.True((double)nl["output_cosine"]!["mean"]! < (double)nl["input_cosine"]!["mean"]!, nl.ToJsonString());

        string md = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.Contains("## How to read this report", md);
        Assert.Matches(@"\| `layer2\.1\.non_local_block` \| embedded_gaussian \| 8x8 \| 64 \| 64 \| \d\.\d{4} ± ", md);
        Assert.Contains("](nl-layer2.1.non_local_block.png)", md);
        Assert.DoesNotContain("## GC and SNL blocks", md);

        // The picture, read back by libpng: two rows of the image and three queries, Q1's marker on its point.
        var png = ImageDecoder.Load(Path.Combine(report, "nl-layer2.1.non_local_block.png"), 3);
        int cell = Size * HeatMap.Scale(Size, Size);
        Assert.True(png.Width >= 4 * cell && png.Height >= 2 * cell, $"{png.Width}x{png.Height}");
        var q1 = nl["query_points"]![0]!.AsArray();
        var (px, py) = HeatMap.CellCentre((int)q1[0]!, (int)q1[1]!, 8, 8, cell, cell);
        foreach (int column in new[] { 0, 1 })
        {
            var (x, y) = HeatMapGrid.CellOrigin(1, column, cell, cell);
            Assert.Equal(Markers.Color(0), (png[y + py, x + px, 0], png[y + py, x + px, 1], png[y + py, x + px, 2]));
        }
    }

    [Fact]
    public void GlobalContextRunGetsOnePoolingMapPerBlock()
    {
        string run = RunFolder("gc_resnet20");
        var (code, stdout, stderr) = CliProcess.Run($"analyze {run} --images 4", Ci);
        Assert.True(code == 0, stderr + stdout);
        string dir = Path.Combine(run, "analysis");
        Assert.Contains($"Report: {Path.Combine(dir, "report.md")}", stdout);
        var pooling = Stats(dir)["pooling"]!.AsArray();
        Assert.Equal([16, 16, 16, 8, 8, 8, 4, 4, 4], pooling.Select(p => (int)p!["height"]!));
        Assert.Empty(Stats(dir)["non_local"]!.AsArray());
        string md = File.ReadAllText(Path.Combine(dir, "report.md"));
        foreach (var p in pooling)
        {
            string file = (string)p!["heatmap"]!;
            Assert.Contains($"]({file})", md);
            var png = ImageDecoder.Load(Path.Combine(dir, file), 3);
            Assert.True(png.Width > 2 * Size && png.Height > 4 * Size, $"{file}: {png.Width}x{png.Height}");
            Assert.All(p["entropy"]!["per_image"]!.AsArray(), e => Assert.InRange((double)e!, 0, 1));
        }
        Assert.Equal(9 + 2, Directory.GetFiles(dir).Length);
    }

    [Fact]
    public void ModelsWithoutAttentionMapsAreRefusedAndNothingIsWritten()
    {
        foreach (var (model, says) in new[] { ("resnet20", "resnet20 has no attention block at all"), ("se_resnet20", "only 9 SqueezeExcite blocks") })
        {
            string run = RunFolder(model);
            var (code, stdout, stderr) = CliProcess.Run($"analyze {run}", Ci);
            Assert.True(code == 2, $"exit {code}: {stderr}{stdout}");
            Assert.Contains(says, stderr);
            Assert.Contains("needs a NonLocal (NL), SimplifiedNonLocal (SNL) or GlobalContext block", stderr);
            Assert.DoesNotContain("   at ", stderr);
            Assert.False(Directory.Exists(Path.Combine(run, "analysis")), $"{model}: an analysis folder was written");
        }
    }

    [Fact]
    public void BadCountsAreRefusedWithTheirLimits()
    {
        string run = RunFolder("nl_resnet20"), dir = Path.Combine(run, "analysis");
        foreach (var (args, says) in new[]
        {
            ("--images 0", "--images must be at least 1"),
            ("--queries 17", "--queries must be between 1 and 16"),
            ("--images 7", $"--images 7 is more than the {TestImages} test images"),
        })
        {
            var (code, stdout, stderr) = CliProcess.Run($"analyze {run} {args}", Ci);
            Assert.True(code == 2, $"{args}: exit {code}: {stderr}{stdout}");
            Assert.Contains(says, stderr);
            Assert.False(Directory.Exists(dir), $"{args}: an analysis folder was written");
        }
    }
}
