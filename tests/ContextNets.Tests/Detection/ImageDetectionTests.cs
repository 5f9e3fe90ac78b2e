using ContextNets.Data;
using ContextNets.Data.Detection;
using ContextNets.Detection;
using ContextNets.IO;

namespace ContextNets.Tests.Detection;

/// <summary>
/// The pieces of `ctxnet detect` that need no network: the score cut, masks as COCO's uncompressed RLE, and the
/// picture (outlines, masks, captions, the best detection on top).
/// </summary>
public class ImageDetectionTests
{
    private static readonly (byte, byte, byte) Gray = (100, 100, 100);

    private static Detections Two(int h, int w)
    {
        var masks = new float[2 * h * w];
        masks[3] = 0.9f;
        masks[h * w + 5] = 0.5f;
        masks[h * w + 6] = 0.51f;
        return new Detections([10.4f, 30.2f, 40.6f, 50.9f, 20f, 20f, 55.5f, 45f], [0.9f, 0.3f], [2, 1]) { Masks = masks, MaskHeight = h, MaskWidth = w };
    }

    [Fact]
    public void TheScoreCutKeepsTheOrderAndEachDetectionsMask()
    {
        var d = ImageDetection.Above(Two(2, 4), 0.5f);
        Assert.Equal([0.9f], d.Scores);
        Assert.Equal([2L], d.Labels);
        Assert.Equal([10.4f, 30.2f, 40.6f, 50.9f], d.Boxes);
        Assert.Equal([0, 0, 0, 0.9f, 0, 0, 0, 0], d.Masks);
        var all = ImageDetection.Above(Two(2, 4), 0.3f);
        Assert.Equal(2, all.Count);
        Assert.Equal(0.51f, all.Masks[8 + 6]);
    }

    [Fact]
    public void MasksAreColumnMajorRunsStartingWithZeros()
    {
        // 2 rows x 3 columns; column-major pixel order: (0,0) (1,0) (0,1) (1,1) (0,2) (1,2) = 0 1 1 1 0 0.
        byte[] mask = [0, 1, 0, 1, 1, 0];
        Assert.Equal([1, 3, 2], CocoShape.Runs(mask, 2, 3));
        Assert.Equal([0, 2, 4], CocoShape.Runs([1, 0, 0, 1, 0, 0], 2, 3));
        Assert.Equal([6], CocoShape.Runs(new byte[6], 2, 3));
        var rng = new Rng(9);
        var random = new byte[7 * 5];
        for (int i = 0; i < random.Length; i++) random[i] = (byte)rng.NextInt(2);
        Assert.Equal(random, CocoShape.FromRuns(CocoShape.Runs(random, 7, 5)).Rasterize(7, 5, 0, 0, 5, 7));
    }

    [Fact]
    public void ThePictureOutlinesEachBoxInItsColourWithTheBestOnTop()
    {
        const int w = 64, h = 60;
        var image = new Image8(w, h, 3);
        Array.Fill(image.Pixels, (byte)100);
        var d = Two(h, w);
        var canvas = DetectionPicture.Draw(image, d, l => $"class{l}");
        var (best, other) = (DetectionPicture.Color(0), DetectionPicture.Color(1));
        Assert.NotEqual(best, other);
        Assert.Equal((10, 30, 40, 50), DetectionPicture.Outline(d.Boxes.AsSpan(0, 4), w, h));
        for (int x = 10; x <= 40; x++)
            foreach (int y in new[] { 30, 31, 49, 50 }) Assert.Equal(best, canvas.Get(x, y));
        for (int y = 30; y <= 50; y++)
            foreach (int x in new[] { 10, 11, 39, 40 }) Assert.Equal(best, canvas.Get(x, y));
        // The second box (20, 20)-(55.5, 45) is clipped to the picture's last column and lies under the first.
        Assert.Equal((20, 20, 55, 44), DetectionPicture.Outline(d.Boxes.AsSpan(4, 4), w, h));
        Assert.Equal(other, canvas.Get(55, 40));
        Assert.Equal(other, canvas.Get(45, 44));
        Assert.Equal(best, canvas.Get(40, 44));
        Assert.Equal(Gray, canvas.Get(30, 40));
    }

    [Fact]
    public void MasksAreBlendedWhereTheProbabilityIsAboveHalf()
    {
        const int w = 64, h = 60;
        var image = new Image8(w, h, 3);
        Array.Fill(image.Pixels, (byte)100);
        var canvas = DetectionPicture.Draw(image, Two(h, w), l => $"{l}");
        var (c0, c1) = (DetectionPicture.Color(0), DetectionPicture.Color(1));
        static byte Half(byte over) => (byte)Math.Round(0.5 * 100 + 0.5 * over);
        Assert.Equal((Half(c0.Item1), Half(c0.Item2), Half(c0.Item3)), canvas.Get(3, 0));
        Assert.Equal(Gray, canvas.Get(5, 0));
        Assert.Equal((Half(c1.Item1), Half(c1.Item2), Half(c1.Item3)), canvas.Get(6, 0));
    }

    [Fact]
    public void TheCaptionSitsAboveTheBoxOrInsideItsTopWithoutRoom()
    {
        const int w = 64, h = 60;
        var image = new Image8(w, h, 1);
        var box = new Detections([2f, 3f, 30f, 40f], [0.5f], [1]) { Masks = new float[h * w], MaskHeight = h, MaskWidth = w };
        var canvas = DetectionPicture.Draw(image, box, _ => "x");
        int band = Canvas.LineHeight(DetectionPicture.TextSize), width = Canvas.TextWidth(DetectionPicture.Caption("x", 0.5f), DetectionPicture.TextSize) + 4;
        Assert.True(band > 3, "no room above the box");
        // The band's last column holds no glyph (two pixels of padding), so it is the colour from top to bottom.
        for (int y = 3; y < 3 + band; y++) Assert.Equal(DetectionPicture.Color(0), canvas.Get(2 + width - 1, y));
        Assert.Equal(((byte)0, (byte)0, (byte)0), canvas.Get(2 + width, 3 + band - 1));
    }
}
