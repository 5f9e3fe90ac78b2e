using System.Text.Json;
using ContextNets.Tests.Data;
using ContextNets.Tests.Data.Clips;

namespace ContextNets.Tests.Cli;

/// <summary>`ctxnet analyze` on a video run: Table-1 distances over the clip's positions and the strips of queries over frames.</summary>
public sealed class VideoAnalyzeCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "1" };

    public void Dispose() => _tmp.Dispose();

    private string Train(string model)
    {
        foreach (var (split, clips) in new[] { ("train", 2), ("val", 2) })
            foreach (var clas in new[] { "left", "right" })
                for (int i = 0; i < clips; i++) ClipFolderTests.WriteClip(_tmp, Path.Combine("clips", split, clas), $"clip{i}", 4, width: 32, height: 32);
        string run = _tmp.File(model);
        var (code, stdout, stderr) = CliProcess.Run($"train --task video --model {model} --data {_tmp.File("clips")} --clip-frames 4 --clip-stride 1 --clip-size 32 --epochs 1 --batch-size 2 --out {run}", Ci, 180);
        Assert.True(code == 0, stderr + stdout);
        return run;
    }

    [Fact]
    public void AnNlRunGetsTheDistancesOfEveryBlockAndAStripPerQueryOverTheFrames()
    {
        string run = Train("i3d_small_nl"), report = _tmp.File("report");
        var (code, stdout, stderr) = CliProcess.Run($"analyze {run} --images 3 --show 1 --queries 2 --out {report}", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "stats.json")));
        var blocks = stats.RootElement.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(["layer2.1.nl", "layer3.1.nl"], blocks.Select(b => b.GetProperty("block").GetString()));
        // 4 frames pooled to 2 at the NL blocks; res3 at 4x4 (keys pooled to 2x2 per frame), res4 at 2x2 (1x1).
        Assert.Equal([32, 8], blocks.Select(b => b.GetProperty("positions").GetInt32()));
        Assert.Equal([8, 2], blocks.Select(b => b.GetProperty("keys").GetInt32()));
        foreach (var b in blocks)
            foreach (var key in new[] { "attention_cosine", "attention_jsd", "input_cosine", "output_cosine" })
                Assert.InRange(b.GetProperty(key).GetDouble(), 0, 2);
        Assert.Contains("| layer2.1.nl | 32 | 8 |", stdout);
        // Two queries (frames 0 and 1), one row each, a panel per block frame: 2 panels of 32 px enlarged 4x.
        var (width, height) = PngSize(Path.Combine(report, "layer2.1.nl-clip0.png"));
        Assert.Equal(4 + 2 * (128 + 4), width);
        Assert.Equal(4 + 2 * (128 + 12 + 4), height);
        Assert.True(File.Exists(Path.Combine(report, "layer3.1.nl-clip0.png")));
        Assert.False(File.Exists(Path.Combine(report, "layer2.1.nl-clip1.png")));
    }

    [Fact]
    public void ARunWithoutNlBlocksIsRefused()
    {
        string run = Train("c2d_small");
        var (code, _, stderr) = CliProcess.Run($"analyze {run}", Ci, 60);
        Assert.Equal(2, code);
        Assert.Contains("c2d_small has no NL or GC block", stderr);
    }

    [Fact]
    public void AGcRunGetsTheEntropyOfEveryBlocksMapAndAStripOfItOverTheFrames()
    {
        string run = Train("i3d_small_gc"), report = _tmp.File("report");
        var (code, stdout, stderr) = CliProcess.Run($"analyze {run} --images 3 --show 1 --out {report}", Ci, 120);
        Assert.True(code == 0, stderr + stdout);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "stats.json")));
        Assert.Empty(stats.RootElement.GetProperty("blocks").EnumerateArray());
        var blocks = stats.RootElement.GetProperty("context_blocks").EnumerateArray().ToList();
        Assert.Equal(["layer2.0.gc", "layer2.1.gc", "layer3.0.gc", "layer3.1.gc", "layer4.0.gc", "layer4.1.gc"], blocks.Select(b => b.GetProperty("block").GetString()));
        // 2 frames at the GC blocks: res3 at 4x4, res4 at 2x2, res5 at 1x1.
        Assert.Equal([32, 32, 8, 8, 2, 2], blocks.Select(b => b.GetProperty("positions").GetInt32()));
        foreach (var b in blocks) Assert.InRange(b.GetProperty("entropy").GetDouble(), 0, 1);
        Assert.Contains("| layer2.0.gc | 32 |", stdout);
        // One row (the map has no query), a panel per block frame: 2 panels of 32 px enlarged 4x.
        var (width, height) = PngSize(Path.Combine(report, "layer2.0.gc-clip0.png"));
        Assert.Equal(4 + 2 * (128 + 4), width);
        Assert.Equal(4 + 128 + 12 + 4, height);
        Assert.False(File.Exists(Path.Combine(report, "layer2.0.gc-clip1.png")));
    }

    private static (int width, int height) PngSize(string path)
    {
        var header = File.ReadAllBytes(path).AsSpan(16, 8);
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[4..]));
    }
}
