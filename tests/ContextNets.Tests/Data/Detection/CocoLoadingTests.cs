using ContextNets.Data.Detection;

namespace ContextNets.Tests.Data.Detection;

/// <summary>COCO-format loading: labels from the categories' file order, boxes, the three kinds of masks, crowds dropped, and one-line refusals.</summary>
public class CocoLoadingTests
{
    [Fact]
    public void ASmallFileReadsAsHandWorked()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("instances.json"), CocoSample.Json);
        dir.Write("a.png", PngWriter.Encode(8, 6, PngWriter.Rgb, new byte[8 * 6 * 3]));
        dir.Write("b.png", PngWriter.Encode(5, 4, PngWriter.Rgb, new byte[5 * 4 * 3]));
        var set = CocoDetectionSet.Open(dir.File("instances.json"), dir.Path);
        Assert.Equal(["background", "cat", "dog", "bird"], set.ClassNames);
        Assert.Equal(2, set.Count);

        var a = set[0].Target;
        Assert.Equal([2, 3], a.Labels);
        // The second box runs past the 8-pixel-wide image and is clipped to it.
        Assert.Equal([1f, 1, 5, 4, 6, 0, 8, 2], a.Boxes);
        // The polygon covers the pixel centres of columns 1..4, rows 1..3; the box-only object is its box filled.
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 8; x++)
            {
                Assert.Equal(x is >= 1 and <= 4 && y is >= 1 and <= 3 ? 1 : 0, a.Masks[y * 8 + x]);
                Assert.Equal(x >= 6 && y <= 1 ? 1 : 0, a.Masks[48 + y * 8 + x]);
            }

        var b = set[1].Target;
        Assert.Equal([1], b.Labels);
        // Column-major runs: 0 zeros, 2 ones (column 0, rows 0-1), 2 zeros, 2 ones (column 1, rows 0-1), the rest zeros.
        byte[] expected = new byte[20];
        foreach (int p in new[] { 0, 1, 5, 6 }) expected[p] = 1;
        Assert.Equal(expected, b.Masks);
    }

    [Theory]
    [InlineData("{\"images\": [", "not valid JSON")]
    [InlineData("[]", "the top level must be an object")]
    [InlineData("{\"categories\": []}", "there is no \"images\" array")]
    [InlineData("{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 0, \"height\": 4}], \"categories\": []}", "images[0]: \"width\" must be an integer")]
    [InlineData("{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 4, \"height\": 4}, {\"id\": 1, \"file_name\": \"b.png\", \"width\": 4, \"height\": 4}], \"categories\": []}", "the id 1 is used twice")]
    public void MalformedFilesAreRefusedInOneLine(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => CocoIndex.Parse(json, "x.json"));
        Assert.StartsWith("x.json: ", e.Message);
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("[1, 1, 0, 3]", "bad box [1, 1, 0, 3]: width and height must be positive")]
    [InlineData("[1, 1, -2, 3]", "width and height must be positive")]
    [InlineData("[20, 1, 2, 3]", "it lies outside its 8x6 image")]
    [InlineData("[1, 1, 2]", "must be [x, y, width, height]")]
    [InlineData("[1, 1, 2, \"3\"]", "holds a string where a finite number")]
    [InlineData("[1, 1, 2, 1e300]", "finite number")]
    public void BadBoxesAreRefusedInOneLine(string box, string message)
    {
        string json = $"{{\"images\": [{{\"id\": 7, \"file_name\": \"a.png\", \"width\": 8, \"height\": 6}}], \"categories\": [{{\"id\": 1, \"name\": \"c\"}}], " +
                      $"\"annotations\": [{{\"image_id\": 7, \"category_id\": 1, \"bbox\": {box}}}]}}";
        var e = Assert.Throws<InvalidDataException>(() => CocoIndex.Parse(json, "x.json"));
        Assert.Contains("annotations[0]: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("\"image_id\": 8, \"category_id\": 1", "image_id 8 is not among the images")]
    [InlineData("\"image_id\": 7, \"category_id\": 2", "category_id 2 is not among the categories")]
    [InlineData("\"image_id\": 7, \"category_id\": 1, \"segmentation\": {\"size\": [6, 8], \"counts\": \"abc\"}", "compressed RLE")]
    [InlineData("\"image_id\": 7, \"category_id\": 1, \"segmentation\": {\"size\": [6, 8], \"counts\": [3, 4]}", "cover 7 pixels, not the image's 48")]
    [InlineData("\"image_id\": 7, \"category_id\": 1, \"segmentation\": [[1, 2, 3, 4]]", "at least 6 coordinates")]
    public void BadReferencesAndShapesAreRefused(string fields, string message)
    {
        string json = "{\"images\": [{\"id\": 7, \"file_name\": \"a.png\", \"width\": 8, \"height\": 6}], \"categories\": [{\"id\": 1, \"name\": \"c\"}], " +
                      $"\"annotations\": [{{{fields}, \"bbox\": [1, 1, 2, 2]}}]}}";
        Assert.Contains(message, Assert.Throws<InvalidDataException>(() => CocoIndex.Parse(json, "x.json")).Message);
    }

    [Fact]
    public void MissingFilesAndFoldersAreNamed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("instances.json"), CocoSample.Json);
        dir.Write("a.png", PngWriter.Encode(8, 6, PngWriter.Rgb, new byte[8 * 6 * 3]));
        var e = Assert.Throws<InvalidDataException>(() => CocoDetectionSet.Open(dir.File("instances.json"), dir.Path));
        Assert.Contains("1 image file(s) missing", e.Message);
        Assert.Contains("'b.png' (image id 9)", e.Message);
        Assert.Contains("cannot be read", Assert.Throws<InvalidDataException>(() => CocoDetectionSet.Open(dir.File("none.json"), dir.Path)).Message);
        Assert.Contains("does not exist", Assert.Throws<InvalidDataException>(() => CocoDetectionSet.Open(dir.File("instances.json"), dir.File("no-folder"))).Message);
    }

    [Fact]
    public void AnImageOfAnotherSizeThanItsEntryIsRefusedWhenRead()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("instances.json"), CocoSample.Json);
        dir.Write("a.png", PngWriter.Encode(7, 6, PngWriter.Rgb, new byte[7 * 6 * 3]));
        dir.Write("b.png", PngWriter.Encode(5, 4, PngWriter.Rgb, new byte[5 * 4 * 3]));
        var set = CocoDetectionSet.Open(dir.File("instances.json"), dir.Path);
        Assert.Contains("the image is 7x6, but its entry (id 7) says 8x6", Assert.Throws<InvalidDataException>(() => set[0]).Message);
    }
}
