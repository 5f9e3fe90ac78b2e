using ContextNets.Data;
using ContextNets.Data.Clips;
using ContextNets.Data.Transforms;

namespace ContextNets.Tests.Data.Clips;

/// <summary>Bad clip folders are refused with one message that names what is wrong and where.</summary>
public class ClipRefusalTests
{
    private static readonly ClipSampler Eight = new(frames: 8, stride: 1, size: 16, train: false, Normalize.Unit(1));

    private static unsafe void Decode(ClipFolder folder, int index)
    {
        var clip = new float[8 * 16 * 16];
        fixed (float* p = clip) Eight.Write(folder.FramesOf(index), folder.PathOf(index), new Rng(1), p, 0, 256, 16, 1);
    }

    [Fact]
    public void AClipWithTooFewFramesIsRefusedBeforeTrainingNamingIt()
    {
        using var dir = new TempDir();
        ClipFolderTests.WriteClip(dir, "a", "long", 10);
        ClipFolderTests.WriteClip(dir, "a", "short", 5);
        var e = Assert.Throws<InvalidDataException>(() => new FolderClips(new ClipFolder(dir.Path), Eight));
        Assert.Contains("short has 5 frames, fewer than the 8", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AClipThatMixesFrameSizesIsRefused()
    {
        using var dir = new TempDir();
        ClipFolderTests.WriteClip(dir, "a", "mixed", 8, sizeOf: k => k == 5 ? (24, 16) : (20, 16));
        var e = Assert.Throws<InvalidDataException>(() => Decode(new ClipFolder(dir.Path), 0));
        Assert.Contains("mixes frame sizes", e.Message);
        Assert.Contains("mixed", e.Message);
    }

    [Fact]
    public void ACorruptFrameIsRefusedNamingTheFile()
    {
        using var dir = new TempDir();
        ClipFolderTests.WriteClip(dir, "a", "c", 8);
        var bad = dir.File(Path.Combine("a", "c", "003.png"));
        var bytes = File.ReadAllBytes(bad);
        File.WriteAllBytes(bad, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Decode(new ClipFolder(dir.Path), 0));
        Assert.Contains("003.png", e.Message);
    }

    [Fact]
    public void AnEmptyClassAClipWithoutFramesAndAFolderWithoutClassesAreRefused()
    {
        using var dir = new TempDir();
        Assert.Contains("no class subfolders", Assert.Throws<InvalidDataException>(() => new ClipFolder(dir.Path)).Message);
        ClipFolderTests.WriteClip(dir, "a", "c", 8);
        Directory.CreateDirectory(dir.File("empty"));
        Assert.Contains("has no clip folders", Assert.Throws<InvalidDataException>(() => new ClipFolder(dir.Path)).Message);
        Directory.CreateDirectory(dir.File(Path.Combine("empty", "blank")));
        Assert.Contains("has no PNG or JPEG frames", Assert.Throws<InvalidDataException>(() => new ClipFolder(dir.Path)).Message);
        Assert.Throws<DatasetNotFoundException>(() => new ClipFolder(dir.File("missing")));
    }
}
