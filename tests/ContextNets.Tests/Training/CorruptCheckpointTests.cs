using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>A damaged checkpoint gives a clear error and changes nothing: model, optimizer and EMA keep their values.</summary>
public sealed class CorruptCheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ctxnet-corrupt-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string PathOf(string file) => Path.Combine(_dir, file);

    /// <summary>Saves a checkpoint, damages it, and checks that loading fails with <paramref name="expected"/> in the message and touches nothing.</summary>
    private void AssertRejected(Action damage, string expected, bool adamWOnLoad = true)
    {
        using (var saver = new TinyRun(seed: 11, adamW: true))
        {
            saver.Train(2);
            saver.Save(_dir);
        }
        damage();
        using var target = new TinyRun(seed: 12, adamW: adamWOnLoad);
        target.Train(1);
        var before = target.Bits();
        var ex = Assert.Throws<InvalidDataException>(() => target.Resume(_dir));
        Assert.Contains(expected, ex.Message);
        foreach (var (key, bits) in before) Assert.True(bits.AsSpan().SequenceEqual(target.Bits()[key]), $"{key} was changed by a failed load");
    }

    [Fact]
    public void TruncatedWeights() => AssertRejected(() =>
    {
        var bytes = File.ReadAllBytes(PathOf("last-000001.safetensors"));
        File.WriteAllBytes(PathOf("last-000001.safetensors"), bytes[..(bytes.Length / 2)]);
    }, "truncated");

    [Fact]
    public void FlippedByteInOptimizerState() => AssertRejected(() =>
    {
        var bytes = File.ReadAllBytes(PathOf("last-000001.train.safetensors"));
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(PathOf("last-000001.train.safetensors"), bytes);
    }, "corrupt");

    [Fact]
    public void MissingFile() => AssertRejected(() => File.Delete(PathOf("last-000001.train.safetensors")), "missing");

    [Fact]
    public void TruncatedRecord() => AssertRejected(() =>
    {
        var text = File.ReadAllText(PathOf("last.json"));
        File.WriteAllText(PathOf("last.json"), text[..(text.Length / 2)]);
    }, "not valid JSON");

    [Fact]
    public void DamagedGeneratorState() => AssertRejected(() =>
    {
        var text = File.ReadAllText(PathOf("last.json"));
        var state = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        state["state"]!["rng"]!["data"] = "zz";
        File.WriteAllText(PathOf("last.json"), state.ToJsonString());
    }, "generator 'data'");

    [Fact]
    public void OtherOptimizerKind() => AssertRejected(() => { }, "holds AdamW state, but this run uses SGD", adamWOnLoad: false);

    [Fact]
    public void OtherArchitecture()
    {
        using (var saver = new TinyRun(seed: 13, adamW: false)) saver.Save(_dir);
        using var wide = new SmallNet(width: 4);
        var before = wide.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(_dir, TinyRun.Name, wide));
        Assert.Contains("has shape [8, 3, 3, 3]", ex.Message);
        foreach (var (key, t) in wide.StateDict()) Assert.Equal(before[key], t.ToArray());
    }

    [Fact]
    public void NoCheckpointAtAll()
    {
        using var model = new SmallNet();
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(_dir, "last", model));
        Assert.Throws<ArgumentException>(() => Checkpoint.Load(_dir, "../last", model));
    }
}
