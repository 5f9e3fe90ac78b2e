using System.Buffers.Binary;
using System.IO.Compression;
using ContextNets.Data;

namespace ContextNets.Tests.Data;

public class IdxReaderTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    internal static byte[] Idx(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(data);
        return ms.ToArray();
    }

    private static byte[] Pixels(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 37 % 256)).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesAndLabelsRoundTrip(bool gz)
    {
        using var dir = new TempDir();
        var pixels = Pixels(4 * 3 * 2);
        byte[] images = Idx(IdxReader.ImagesMagic, [4, 3, 2], pixels), labels = Idx(IdxReader.LabelsMagic, [4], [2, 0, 1, 2]);
        string ext = gz ? ".gz" : "";
        var ds = IdxDataset.Load(dir.Write("img" + ext, gz ? Gzip(images) : images), dir.Write("lab" + ext, gz ? Gzip(labels) : labels), Classes);
        Assert.Equal(4, ds.Count);
        Assert.Equal((3, 2), (ds.Rows, ds.Cols));
        Assert.Equal([2, 0, 1, 2], Enumerable.Range(0, 4).Select(ds.Label));
        var third = ds.Image(2);
        Assert.Equal((2, 3, 1), (third.Width, third.Height, third.Channels));
        Assert.Equal(pixels.AsSpan(12, 6).ToArray(), third.Pixels);
    }

    public static TheoryData<string, byte[], string> BadImageFiles => new()
    {
        { "bad magic", Idx(0x00000804, [1, 2, 2], new byte[4]), "magic number 0x00000804" },
        { "label file given as images", Idx(IdxReader.LabelsMagic, [4], new byte[4]), "looks like an IDX label file" },
        { "truncated payload", Idx(IdxReader.ImagesMagic, [3, 4, 4], new byte[47]), "holds only 47 (truncated)" },
        { "truncated header", Idx(IdxReader.ImagesMagic, [3, 4, 4], [])[..9], "ends inside its header" },
        { "empty file", [], "ends inside its header" },
        { "trailing bytes", Idx(IdxReader.ImagesMagic, [1, 2, 2], new byte[6]), "2 bytes after the 4" },
        { "hostile header", Idx(IdxReader.ImagesMagic, [int.MaxValue, int.MaxValue, 2], new byte[10]), "limit" },
        { "huge but under the limit", Idx(IdxReader.ImagesMagic, [1000, 1000, 1000], new byte[10]), "holds only 10" },
        { "zero-sized images", Idx(IdxReader.ImagesMagic, [5, 0, 3], []), "0x3 pixels" },
    };

    [Theory]
    [MemberData(nameof(BadImageFiles))]
    public void BadImageFileIsRejectedNamingIt(string what, byte[] bytes, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("images-idx3-ubyte", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, ex.Message);
        Assert.True(ex.Message.Contains(expected), $"{what}: '{ex.Message}' should mention '{expected}'");
    }

    [Fact]
    public void TruncatedGzipIsRejected()
    {
        using var dir = new TempDir();
        var full = Gzip(Idx(IdxReader.ImagesMagic, [50, 28, 28], Pixels(50 * 28 * 28)));
        foreach (int keep in new[] { 5, 30, full.Length / 2, full.Length - 9, full.Length - 4, full.Length - 1 })
        {
            var path = dir.Write($"cut{keep}.gz", full[..keep]);
            var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
            Assert.Contains(path, ex.Message);
        }
    }

    [Fact]
    public void GzipThatDeclaresMoreThanItCanHoldFailsBeforeReading()
    {
        using var dir = new TempDir();
        // 60000 x 100 x 100 bytes cannot come out of a few dozen compressed bytes (deflate expands at most ~1032:1).
        var path = dir.Write("x.gz", Gzip(Idx(IdxReader.ImagesMagic, [60000, 100, 100], new byte[16])));
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("more than a", ex.Message);
    }

    [Fact]
    public void GzipWithLessDataThanDeclaredIsTruncated()
    {
        using var dir = new TempDir();
        var path = dir.Write("x.gz", Gzip(Idx(IdxReader.ImagesMagic, [10, 28, 28], new byte[5000])));
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("ends after 5000 of the 7840 data bytes", ex.Message);
    }

    [Fact]
    public void CorruptGzipIsAnInvalidDataExceptionNamingTheFile()
    {
        using var dir = new TempDir();
        var gz = Gzip(Idx(IdxReader.ImagesMagic, [20, 28, 28], Pixels(20 * 28 * 28)));
        for (int i = 12; i < gz.Length - 8; i += 7) gz[i] ^= 0x5A;
        var path = dir.Write("corrupt.gz", gz);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void LabelOutOfRangeIsRejectedWithItsIndex()
    {
        using var dir = new TempDir();
        var path = dir.Write("labels", Idx(IdxReader.LabelsMagic, [5], [0, 1, 2, 3, 1]));
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path, 3));
        Assert.Contains(path, ex.Message);
        Assert.Contains("label 3 at index 3", ex.Message);
    }

    [Fact]
    public void ImageAndLabelCountsMustAgree()
    {
        using var dir = new TempDir();
        string images = dir.Write("img", Idx(IdxReader.ImagesMagic, [3, 2, 2], new byte[12])), labels = dir.Write("lab", Idx(IdxReader.LabelsMagic, [4], [0, 1, 2, 0]));
        var ex = Assert.Throws<InvalidDataException>(() => IdxDataset.Load(images, labels, Classes));
        Assert.Contains("3 images", ex.Message);
        Assert.Contains("4 labels", ex.Message);
        Assert.Contains(images, ex.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages("/nonexistent/train-images-idx3-ubyte"));
        Assert.Contains("/nonexistent/train-images-idx3-ubyte", ex.Message);
    }

    [Fact]
    public void MissingDatasetNamesTheAptPackage()
    {
        using var dir = new TempDir();
        foreach (var root in new[] { Path.Combine(dir.Path, "absent"), dir.Path })
        {
            var ex = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Load(Split.Train, root));
            Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message);
            Assert.Contains(root, ex.Message);
            Assert.Equal("dataset-fashion-mnist", ex.Package);
        }
    }

    [Fact]
    public void FashionMnistLoadsFromACustomRootWithPlainFiles()
    {
        using var dir = new TempDir();
        dir.Write("t10k-images-idx3-ubyte", Idx(IdxReader.ImagesMagic, [2, 28, 28], Pixels(2 * 28 * 28)));
        dir.Write("t10k-labels-idx1-ubyte.gz", Gzip(Idx(IdxReader.LabelsMagic, [2], [9, 0])));
        var ds = FashionMnist.Load(Split.Test, dir.Path);
        Assert.Equal(2, ds.Count);
        Assert.Equal("Ankle boot", ds.Classes[ds.Label(0)]);
    }

    /// <summary>The installed Debian dataset (./test and CI install dataset-fashion-mnist): sizes, balanced classes, and the normalization constants.</summary>
    [Fact]
    public void InstalledFashionMnistHasItsKnownShape()
    {
        var train = FashionMnist.Load(Split.Train);
        var test = FashionMnist.Load(Split.Test);
        Assert.Equal((60000, 28, 28), (train.Count, train.Rows, train.Cols));
        Assert.Equal(10000, test.Count);
        Assert.Equal(10, train.Classes.Count);
        var counts = new int[10];
        for (int i = 0; i < train.Count; i++) counts[train.Label(i)]++;
        Assert.All(counts, c => Assert.Equal(6000, c));
        double sum = 0, sumSq = 0;
        for (int i = 0; i < train.Count; i++)
            foreach (var p in train.Image(i).Pixels)
            {
                double v = p / 255.0;
                sum += v;
                sumSq += v * v;
            }
        double n = 60000.0 * 784, mean = sum / n, std = Math.Sqrt(sumSq / n - mean * mean);
        Assert.Equal(FashionMnist.Mean, mean, 3e-4);
        Assert.Equal(FashionMnist.Std, std, 3e-4);
    }
}
