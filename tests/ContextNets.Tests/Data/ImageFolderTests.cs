using ContextNets.Data;

namespace ContextNets.Tests.Data;

public class ImageFolderTests
{
    private static byte[] Png(byte value, int w = 4, int h = 3) => PngWriter.Encode(w, h, PngWriter.Gray, Enumerable.Repeat(value, w * h).ToArray());

    [Fact]
    public void ClassesAreSortedFolderNamesAndFilesFollowTorchvisionOrder()
    {
        using var dir = new TempDir();
        dir.Write("zebra/b.png", Png(1));
        dir.Write("zebra/a.PNG", Png(2));
        dir.Write("Apple/x.png", Png(3));
        dir.Write("Apple/sub/a.png", Png(4));
        dir.Write("Apple/z.png", Png(5));
        dir.Write("apple/only.png", Png(6));
        var ds = new ImageFolder(dir.Path, channels: 1);
        Assert.Equal(["Apple", "apple", "zebra"], ds.Classes);
        // torchvision: sorted(os.walk(class dir)), names sorted in each directory: Apple's own files first, then Apple/sub.
        Assert.Equal(new byte[] { 3, 5, 4, 6, 2, 1 }, Enumerable.Range(0, ds.Count).Select(i => ds.Image(i).Pixels[0]));
        Assert.Equal([0, 0, 0, 1, 2, 2], Enumerable.Range(0, ds.Count).Select(ds.Label));
        Assert.Equal(0, ds.SkippedFiles);
    }

    [Fact]
    public void NonImageFilesAreSkippedAndCounted()
    {
        using var dir = new TempDir();
        dir.Write("cat/1.png", Png(1));
        dir.Write("cat/notes.txt", "hello"u8.ToArray());
        dir.Write("cat/thumbs.db", [1, 2, 3]);
        dir.Write("dog/1.jpeg", File.ReadAllBytes(Path.Combine(Support.TestData.RepoRoot, "tests", "testdata", "images", "rgb.jpg")));
        dir.Write("README.md", "top-level files are not classes"u8.ToArray());
        Directory.CreateDirectory(Path.Combine(dir.Path, ".cache"));
        var ds = new ImageFolder(dir.Path);
        Assert.Equal(["cat", "dog"], ds.Classes);
        Assert.Equal(2, ds.Count);
        Assert.Equal(2, ds.SkippedFiles);
        Assert.Contains("2 other files were ignored", ds.Summary);
        Assert.Equal((16, 12, 3), (ds.Image(1).Width, ds.Image(1).Height, ds.Image(1).Channels));
    }

    [Fact]
    public void EmptyClassFolderIsAnError()
    {
        using var dir = new TempDir();
        dir.Write("cat/1.png", Png(1));
        dir.Write("dog/readme.txt", "no images here"u8.ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => new ImageFolder(dir.Path));
        Assert.Contains("'dog'", ex.Message);
        Assert.Contains("no PNG or JPEG images", ex.Message);
    }

    [Fact]
    public void FolderWithoutClassFoldersIsAnError()
    {
        using var dir = new TempDir();
        dir.Write("1.png", Png(1));
        var ex = Assert.Throws<InvalidDataException>(() => new ImageFolder(dir.Path));
        Assert.Contains("no class subfolders", ex.Message);
    }

    [Fact]
    public void MissingFolderIsDatasetNotFound()
    {
        var ex = Assert.Throws<DatasetNotFoundException>(() => new ImageFolder("/nonexistent/images"));
        Assert.Contains("/nonexistent/images", ex.Message);
    }

    [Fact]
    public void CorruptImageFailsWhenDecodedNamingTheFile()
    {
        using var dir = new TempDir();
        dir.Write("cat/good.png", Png(1));
        var bad = dir.Write("cat/truncated.png", Png(2, 30, 30)[..40]);
        var ds = new ImageFolder(dir.Path);
        Assert.Equal(2, ds.Count);
        ds.Image(0);
        var ex = Assert.Throws<InvalidDataException>(() => ds.Image(1));
        Assert.Contains(bad, ex.Message);
    }
}
