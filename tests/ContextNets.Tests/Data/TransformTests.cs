using ContextNets.Data;
using ContextNets.Data.Transforms;

namespace ContextNets.Tests.Data;

public class TransformTests
{
    /// <summary>A gray image whose pixel (y, x) is 10 y + x + 1, so every position is recognizable and none is 0.</summary>
    internal static Image8 Numbered(int w, int h)
    {
        var img = new Image8(w, h, 1);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) img[y, x] = (byte)(10 * y + x + 1);
        return img;
    }

    [Fact]
    public void FlipMirrorsEveryRowAndKeepsChannelsTogether()
    {
        var img = new Image8(3, 2, 3, Enumerable.Range(0, 18).Select(i => (byte)i).ToArray());
        var flipped = RandomHorizontalFlip.Flip(img);
        Assert.Equal(new byte[] { 6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11 }, flipped.Pixels);
    }

    [Fact]
    public void RandomFlipFlipsWhenItsDrawIsBelowP()
    {
        var img = Numbered(4, 2);
        for (int seed = 0; seed < 20; seed++)
        {
            bool expected = new Rng((ulong)seed).NextDouble() < 0.3;
            var result = new RandomHorizontalFlip(0.3).Apply(img, new Rng((ulong)seed));
            Assert.Equal(expected ? RandomHorizontalFlip.Flip(img).Pixels : img.Pixels, result.Pixels);
        }
    }

    [Fact]
    public void RandomCropWithPaddingTakesTheWindowAtItsDrawnOffsets()
    {
        var img = Numbered(5, 4);
        var crop = new RandomCrop(4, padding: 2);
        var seen = new HashSet<(int, int)>();
        for (int seed = 0; seed < 200; seed++)
        {
            var draw = new Rng((ulong)seed);
            int top = draw.NextInt(4 + 4 - 4 + 1), left = draw.NextInt(5 + 4 - 4 + 1);
            seen.Add((top, left));
            var outImg = crop.Apply(img, new Rng((ulong)seed));
            Assert.Equal((4, 4), (outImg.Width, outImg.Height));
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++)
                {
                    int sy = y + top - 2, sx = x + left - 2;
                    byte expected = sy >= 0 && sy < 4 && sx >= 0 && sx < 5 ? img[sy, sx] : (byte)0;
                    Assert.Equal(expected, outImg[y, x]);
                }
        }
        Assert.Equal(5 * 6, seen.Count);
    }

    [Fact]
    public void RandomCropOfTheWholeImageDrawsNothing()
    {
        var img = Numbered(4, 4);
        var rng = new Rng(7);
        Assert.Equal(img.Pixels, new RandomCrop(4).Apply(img, rng).Pixels);
        Assert.Equal(new Rng(7).NextUInt64(), rng.NextUInt64());
    }

    [Fact]
    public void CenterCropRoundsHalvesToEvenAndPadsWhenLarger()
    {
        var img = Numbered(5, 5);
        // (5 - 2) / 2 = 1.5 rounds to 2, as Python's round.
        Assert.Equal(new byte[] { 23, 24, 33, 34 }, new CenterCrop(2).Apply(img, new Rng(0)).Pixels);
        var small = Numbered(2, 2);
        // 2 -> 5: (5 - 2) // 2 = 1 zero row/column before.
        var padded = new CenterCrop(5).Apply(small, new Rng(0));
        Assert.Equal(1, padded[1, 1]);
        Assert.Equal(12, padded[2, 2]);
        Assert.Equal(0, padded[0, 0]);
        Assert.Equal(0, padded[4, 4]);
    }

    [Fact]
    public void NormalizeIsToTensorThenMeanStd()
    {
        var img = new Image8(2, 1, 3, [51, 0, 255, 102, 153, 204]);
        var norm = new Normalize([0.5f, 0.25f, 0.125f], [0.25f, 0.5f, 2f]);
        var chw = norm.ToChw(img);
        float[] expected =
        [
            (51 / 255f - 0.5f) / 0.25f, (102 / 255f - 0.5f) / 0.25f,
            (0 / 255f - 0.25f) / 0.5f, (153 / 255f - 0.25f) / 0.5f,
            (255 / 255f - 0.125f) / 2f, (204 / 255f - 0.125f) / 2f,
        ];
        Assert.Equal(expected, chw);
        Assert.Equal(-1.2f, chw[0], 6);
    }

    [Fact]
    public void NormalizeRejectsAChannelMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Normalize.ImageNet.ToChw(new Image8(2, 2, 1)));
        Assert.Contains("3 channels", ex.Message);
    }

    /// <summary>
    /// 2x2 to 4x4: along each axis the outputs sample at 0.25 steps of the input with align_corners=False,
    /// weights (1), (3/4, 1/4), (1/4, 3/4), (1) after edge clamping. Rows: [0, 25, 75, 100] and [200, 160, 80, 40];
    /// the middle output rows are 3/4:1/4 and 1/4:3/4 blends of those, rounded.
    /// </summary>
    [Fact]
    public void UpscaleIsBilinearWithAlignCornersFalse()
    {
        var img = new Image8(2, 2, 1, [0, 100, 200, 40]);
        var big = Resize.Run(img, 4, 4);
        Assert.Equal(new byte[] { 0, 25, 75, 100, 50, 59, 76, 85, 150, 126, 79, 55, 200, 160, 80, 40 }, big.Pixels);
        Assert.Equal(big.Pixels, Resize.Run(img, 4, 4, antialias: false).Pixels);
    }

    /// <summary>
    /// 4 -> 2 with antialias: the triangle filter is stretched to support 2, so output 0 (center 1 in input
    /// coordinates) weights inputs 0, 1, 2 by 0.75, 0.75, 0.25 (normalized: 3/7, 3/7, 1/7): (0*3 + 70*3 + 140) / 7 = 50,
    /// and output 1 weights inputs 1, 2, 3 by 1/7, 3/7, 3/7: 160. Without antialias it is bilinear at 0.5 and 2.5: 35 and 175.
    /// </summary>
    [Fact]
    public void DownscaleAntialiasesLikePilAndTorchvision()
    {
        var row = new Image8(4, 1, 1, [0, 70, 140, 210]);
        Assert.Equal(new byte[] { 50, 160 }, Resize.Run(row, 1, 2).Pixels);
        Assert.Equal(new byte[] { 35, 175 }, Resize.Run(row, 1, 2, antialias: false).Pixels);
    }

    [Fact]
    public void ShorterSideResizeKeepsTheAspect()
    {
        var img = new Image8(40, 20, 3);
        var r = Resize.ToShorterSide(10).Apply(img, new Rng(0));
        Assert.Equal((20, 10), (r.Width, r.Height));
        var tall = Resize.ToShorterSide(8).Apply(new Image8(9, 30, 1), new Rng(0));
        Assert.Equal((8, 26), (tall.Width, tall.Height));
    }

    [Fact]
    public void RandomResizedCropWindowsRespectScaleAndRatio()
    {
        var rrc = new RandomResizedCrop(8);
        for (int seed = 0; seed < 300; seed++)
        {
            var (top, left, h, w) = rrc.Window(50, 40, new Rng((ulong)seed));
            Assert.True(top >= 0 && left >= 0 && top + h <= 50 && left + w <= 40, $"window {top},{left},{h},{w} outside 50x40");
            Assert.Equal((top, left, h, w), rrc.Window(50, 40, new Rng((ulong)seed)));
            double ratio = (double)w / h, area = (double)w * h / (50 * 40);
            // Rounding w and h to integers moves the ratio and area a little beyond the drawn values.
            Assert.InRange(ratio, 3.0 / 4 * (1 - 1.0 / Math.Min(w, h)), 4.0 / 3 * (1 + 1.0 / Math.Min(w, h)));
            Assert.InRange(area, 0.08 * 0.7, 1.0);
        }
    }

    [Theory]
    [InlineData(20, 50, 0, 11, 20, 27)]
    [InlineData(40, 10, 13, 0, 13, 10)]
    [InlineData(30, 30, 0, 0, 30, 30)]
    public void RandomResizedCropFallsBackToACenterCropInTheRatioRange(int h, int w, int top, int left, int ch, int cw)
    {
        // A scale above 1 never fits, so all 10 attempts fail.
        var rrc = new RandomResizedCrop(8, 8, minScale: 1.5, maxScale: 2.0);
        Assert.Equal((top, left, ch, cw), rrc.Window(h, w, new Rng(3)));
        Assert.Equal((8, 8), (rrc.Apply(new Image8(w, h, 3), new Rng(3)).Width, rrc.Apply(new Image8(w, h, 3), new Rng(3)).Height));
    }

    [Fact]
    public void ComposeAppliesStepsInOrderWithOneGenerator()
    {
        var img = Numbered(6, 6);
        var pipeline = new Compose(new RandomCrop(4, padding: 1), new RandomHorizontalFlip());
        var a = pipeline.Apply(img, Rng.For(1, 2, 3));
        var b = pipeline.Apply(img, Rng.For(1, 2, 3));
        Assert.Equal(a.Pixels, b.Pixels);
        var rng = Rng.For(1, 2, 3);
        var manual = new RandomHorizontalFlip().Apply(new RandomCrop(4, padding: 1).Apply(img, rng), rng);
        Assert.Equal(manual.Pixels, a.Pixels);
    }
}
