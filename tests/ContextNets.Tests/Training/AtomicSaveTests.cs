using ContextNets.IO;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>A save that fails at any point leaves the previous checkpoint whole, and no temporary or half-written file behind.</summary>
public sealed class AtomicSaveTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ctxnet-atomic-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string[] Files() => Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void AtomicFileKeepsTheOldContentsWhenTheWriterFails()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "data.bin");
        AtomicFile.Write(path, s => s.Write(new byte[] { 1, 2, 3 }));
        foreach (var failure in new Func<Exception>[] { FailingStream.Crash, FailingStream.DiskFull })
        {
            var ex = Record.Exception(() => AtomicFile.Write(path, s =>
            {
                var f = new FailingStream(s, 1000, failure);
                f.Write(new byte[4096]);
            }));
            Assert.NotNull(ex);
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
            Assert.Equal(["data.bin"], Files());
        }
    }

    [Fact]
    public void DirectoryFlushCallsLibc()
    {
        Directory.CreateDirectory(_dir);
        DirectorySync.Flush(_dir);
        // open(2) fails with ENOENT (2), which proves the call reached libc.
        Assert.Contains("errno 2", Assert.Throws<IOException>(() => DirectorySync.Flush(Path.Combine(_dir, "absent"))).Message);
    }

    public static TheoryData<string, long, bool> FailurePoints() => new()
    {
        { "last-000002.safetensors", 0, true },
        { "last-000002.safetensors", 300, false },
        { "last-000002.train.safetensors", 100, true },
        { "last-000002.train.safetensors", 5000, false },
        { "last.json", 10, true },
        { "last.json", 200, false },
    };

    [Theory]
    [MemberData(nameof(FailurePoints))]
    public void FailedSaveLeavesThePreviousCheckpointWhole(string failingFile, long budget, bool diskFull)
    {
        using var run = new TinyRun(seed: 5, adamW: true);
        run.Train(2);
        run.Save(_dir);
        var saved = run.Bits();
        var committed = Files();
        Assert.Equal(["last-000001.safetensors", "last-000001.train.safetensors", "last.json"], committed);

        run.Train(2);
        var filter = (string file, Stream s) => file == failingFile ? new FailingStream(s, budget, diskFull ? FailingStream.DiskFull : FailingStream.Crash) : s;
        var ex = Record.Exception(() => Checkpoint.Save(_dir, TinyRun.Name, run.Model, run.State(), run.Optimizer, run.Ema, filter));
        Assert.IsType(diskFull ? typeof(IOException) : typeof(InvalidOperationException), ex);
        Assert.Equal(committed, Files());

        using var fresh = new TinyRun(seed: 6, adamW: true);
        fresh.Resume(_dir);
        Assert.Equal(2, fresh.Step);
        foreach (var (key, bits) in saved) Assert.True(bits.AsSpan().SequenceEqual(fresh.Bits()[key]), $"{key} changed");

        // The next save works (the failed one removed its files, so its generation number is free again).
        run.Save(_dir);
        Assert.Equal(["last-000002.safetensors", "last-000002.train.safetensors", "last.json"], Files());
    }

    [Fact]
    public void LeftoversOfAKilledSaveAreIgnoredThenCleaned()
    {
        using var run = new TinyRun(seed: 7, adamW: false);
        run.Train(1);
        run.Save(_dir);
        var saved = run.Bits();
        // A kill after the weights were renamed in but before the record was: an orphan and a temporary remain.
        File.Copy(Path.Combine(_dir, "last-000001.safetensors"), Path.Combine(_dir, "last-000002.safetensors"));
        File.WriteAllBytes(Path.Combine(_dir, $".last-000002.train.safetensors.4242.{Guid.NewGuid():N}.tmp"), new byte[77]);
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not ours");

        using (var fresh = new TinyRun(seed: 8, adamW: false))
        {
            fresh.Resume(_dir);
            foreach (var (key, bits) in saved) Assert.True(bits.AsSpan().SequenceEqual(fresh.Bits()[key]), $"{key} changed");
        }
        run.Train(1);
        run.Save(_dir);
        Assert.Equal(["last-000003.safetensors", "last-000003.train.safetensors", "last.json", "notes.txt"], Files());
    }

    [Fact]
    public void TwoNamesLiveSideBySide()
    {
        using var run = new TinyRun(seed: 9, adamW: false);
        run.Save(_dir);
        Checkpoint.Save(_dir, "best", run.Model, run.State());
        run.Train(1);
        run.Save(_dir);
        Assert.Equal(["best-000001.safetensors", "best.json", "last-000002.safetensors", "last-000002.train.safetensors", "last.json"], Files());
        Assert.True(Checkpoint.Exists(_dir, "best"));
    }
}
