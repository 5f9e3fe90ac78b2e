using ContextNets.Data;
using ContextNets.Data.Segmentation;

namespace ContextNets.Tests.Data.Segmentation;

/// <summary>
/// The image + label-map folder (<see cref="LabelMapFolder"/>): pairs by stem in ordinal order with the labels as
/// written, and every way the folder can be wrong refused at opening, in one line naming the file.
/// </summary>
public sealed class LabelMapFolderTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void ReadsImagesWithTheirLabelMaps()
    {
        string root = LabelMapData.Write(_tmp, count: 3);
        var classes = LabelMapFolder.ReadClasses(root);
        Assert.Equal(LabelMapData.Classes, classes);
        var set = new LabelMapFolder(root, "train", classes);
        Assert.Equal(3, set.Count);
        var sample = set[2];
        Assert.Equal((13, 7, 3), (sample.Width, sample.Height, sample.Image.Channels));
        Assert.Equal(ImageDecoder.Decode(LabelMapData.Image(2, 13, 7), "img2").Pixels, sample.Image.Pixels);
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 13; x++) Assert.Equal(LabelMapData.Label(2, x, y), sample.Labels[y * 13 + x]);
    }

    [Fact]
    public void MissingLabelMapIsNamed()
    {
        string root = LabelMapData.Write(_tmp);
        File.Delete(Path.Combine(root, "train", "labels", "img1.png"));
        Refused(root, "has no label map", "img1.png is missing");
    }

    [Fact]
    public void LabelMapWithoutImageIsNamed()
    {
        string root = LabelMapData.Write(_tmp);
        File.Delete(Path.Combine(root, "train", "images", "img0.png"));
        Refused(root, "labels/img0.png has no image");
    }

    [Fact]
    public void MismatchedSizesAreNamed()
    {
        string root = LabelMapData.Write(_tmp);
        _tmp.Write("voc/train/labels/img1.png", LabelMapData.LabelMap(1, 12, 7));
        Refused(root, "img1.png is 12x7 but its image", "is 13x7");
    }

    [Fact]
    public void LabelsBeyondTheClassListAreNamedWithTheirPixel()
    {
        string root = LabelMapData.Write(_tmp);
        var indices = new byte[4 * 3];
        indices[7] = 3;
        _tmp.Write("voc/train/labels/img0.png", PngWriter.Encode(4, 3, PngWriter.Palette, indices, palette: new byte[768]));
        _tmp.Write("voc/train/images/img0.png", LabelMapData.Image(0, 4, 3));
        Refused(root, "has the label 3 at (3, 1)", "names 3 classes (0..2; 255 = ignore)");
    }

    [Fact]
    public void CorruptLabelMapIsNamed()
    {
        string root = LabelMapData.Write(_tmp);
        var png = LabelMapData.LabelMap(1, 13, 7);
        _tmp.Write("voc/train/labels/img1.png", png[..(png.Length / 2)]);
        Refused(root, "img1.png: the label map");
    }

    [Fact]
    public void EmptyFolderIsRefused()
    {
        string root = LabelMapData.Write(_tmp, count: 0);
        Directory.CreateDirectory(Path.Combine(root, "train", "images"));
        Directory.CreateDirectory(Path.Combine(root, "train", "labels"));
        Refused(root, "holds no PNG or JPEG images");
    }

    [Fact]
    public void ClassListProblemsAreRefused()
    {
        string root = LabelMapData.Write(_tmp);
        string list = Path.Combine(root, LabelMapFolder.ClassFile);
        File.WriteAllText(list, "background\n\nboot\n\n");
        Assert.Contains("line 2 is blank", Assert.Throws<InvalidDataException>(() => LabelMapFolder.ReadClasses(root)).Message, StringComparison.Ordinal);
        File.WriteAllText(list, "background\nboot\nbackground\n");
        Assert.Contains("'background' twice", Assert.Throws<InvalidDataException>(() => LabelMapFolder.ReadClasses(root)).Message, StringComparison.Ordinal);
        File.Delete(list);
        Assert.Contains("classes.txt is missing", Assert.Throws<InvalidDataException>(() => LabelMapFolder.ReadClasses(root)).Message, StringComparison.Ordinal);
        Assert.Throws<DatasetNotFoundException>(() => new LabelMapFolder(root, "test", LabelMapData.Classes));
    }

    private static void Refused(string root, params string[] message)
    {
        var e = Assert.Throws<InvalidDataException>(() => new LabelMapFolder(root, "train", LabelMapData.Classes));
        foreach (var part in message) Assert.Contains(part, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
