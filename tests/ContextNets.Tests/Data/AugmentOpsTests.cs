using ContextNets.Data;
using ContextNets.Data.Augment;
using static ContextNets.Tests.Data.TransformTests;

namespace ContextNets.Tests.Data;

/// <summary>Each op on a small image against values derived by hand from its definition (PIL's, through torchvision).</summary>
public class AugmentOpsTests
{
    private static Image8 Gray(int w, int h, params byte[] px) => new(w, h, 1, px);

    /// <summary>
    /// ShearX by 0.5 samples out(x, y) at floor(x + 0.5 + 0.5 (y + 0.5)): row 0 at x + 0.75 (unchanged),
    /// row 1 at x + 1.25 and row 2 at x + 1.75 (shifted left by one, the last column filled with 0).
    /// </summary>
    [Fact]
    public void ShearXShiftsRowsByTheirDistanceFromTheTop()
    {
        var img = Numbered(4, 3);
        var r = AugmentOps.Apply(img, AugmentOp.ShearX, 0.5);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 12, 13, 14, 0, 22, 23, 24, 0 }, r.Pixels);
        // -0.5: row 1 at x - 0.25 - ... = x + 0.5 - 0.75 -> x - 1 (0 at the left), row 2 at x - 0.75 -> x - 1.
        var l = AugmentOps.Apply(img, AugmentOp.ShearX, -0.5);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 0, 11, 12, 13, 0, 21, 22, 23 }, l.Pixels);
    }

    [Fact]
    public void ShearYShiftsColumnsByTheirDistanceFromTheLeft()
    {
        var img = Numbered(3, 4);
        var r = AugmentOps.Apply(img, AugmentOp.ShearY, 0.5);
        // Column x samples row floor(y + 0.5 + 0.5 (x + 0.5)): column 0 unchanged, columns 1 and 2 move up one row.
        Assert.Equal(new byte[] { 1, 12, 13, 11, 22, 23, 21, 32, 33, 31, 0, 0 }, r.Pixels);
    }

    [Fact]
    public void TranslateMovesContentAndTruncatesTheMagnitude()
    {
        var img = Numbered(4, 2);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 0, 11, 12, 13 }, AugmentOps.Apply(img, AugmentOp.TranslateX, 1.9).Pixels);
        Assert.Equal(new byte[] { 3, 4, 0, 0, 13, 14, 0, 0 }, AugmentOps.Apply(img, AugmentOp.TranslateX, -2.7).Pixels);
        Assert.Equal(new byte[] { 11, 12, 13, 14, 0, 0, 0, 0 }, AugmentOps.Apply(img, AugmentOp.TranslateY, -1).Pixels);
    }

    /// <summary>90 degrees counter-clockwise about (1.5, 1.5): out(x, y) = in(2 - y, x), the right column becomes the top row.</summary>
    [Fact]
    public void RotateTurnsCounterClockwiseAboutTheCenter()
    {
        var img = Numbered(3, 3);
        Assert.Equal(new byte[] { 3, 13, 23, 2, 12, 22, 1, 11, 21 }, AugmentOps.Apply(img, AugmentOp.Rotate, 90).Pixels);
        Assert.Equal(new byte[] { 21, 11, 1, 22, 12, 2, 23, 13, 3 }, AugmentOps.Apply(img, AugmentOp.Rotate, -90).Pixels);
        Assert.Equal(new byte[] { 23, 22, 21, 13, 12, 11, 3, 2, 1 }, AugmentOps.Apply(img, AugmentOp.Rotate, 180).Pixels);
    }

    [Fact]
    public void BrightnessScalesTruncatesAndClips()
    {
        var img = Gray(3, 1, 100, 200, 101);
        Assert.Equal(new byte[] { 150, 255, 151 }, AugmentOps.Apply(img, AugmentOp.Brightness, 0.5).Pixels);
        // 101 * 0.5 = 50.5 truncates to 50.
        Assert.Equal(new byte[] { 50, 100, 50 }, AugmentOps.Apply(img, AugmentOp.Brightness, -0.5).Pixels);
    }

    /// <summary>Luma of (200, 100, 0) = (200*19595 + 100*38470 + 32768) >> 16 = 118; factor 2 gives 118 + 2 (v - 118), clipped.</summary>
    [Fact]
    public void ColorBlendsWithTheLumaImage()
    {
        var img = new Image8(1, 1, 3, [200, 100, 0]);
        Assert.Equal(new byte[] { 118, 118, 118 }, AugmentOps.Apply(img, AugmentOp.Color, -1).Pixels);
        Assert.Equal(new byte[] { 255, 82, 0 }, AugmentOps.Apply(img, AugmentOp.Color, 1).Pixels);
        var gray = Gray(2, 1, 10, 240);
        Assert.Equal(gray.Pixels, AugmentOps.Apply(gray, AugmentOp.Color, 0.9).Pixels);
    }

    [Fact]
    public void ContrastBlendsWithTheRoundedMean()
    {
        // Mean 100.25 -> int(100.75) = 100; factor 2: 100 + 2 (v - 100).
        var img = Gray(4, 1, 0, 100, 200, 101);
        Assert.Equal(new byte[] { 0, 100, 255, 102 }, AugmentOps.Apply(img, AugmentOp.Contrast, 1).Pixels);
        Assert.Equal(new byte[] { 100, 100, 100, 100 }, AugmentOps.Apply(img, AugmentOp.Contrast, -1).Pixels);
    }

    /// <summary>SMOOTH at the center: (5 * 130 + 0) / 13 = 50; the border pixels stay. Factor 2: 50 + 2 (130 - 50) = 210.</summary>
    [Fact]
    public void SharpnessBlendsWithThe3x3SmoothInterior()
    {
        var img = Gray(3, 3, 0, 0, 0, 0, 130, 0, 0, 0, 0);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 50, 0, 0, 0, 0 }, AugmentOps.Apply(img, AugmentOp.Sharpness, -1).Pixels);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 210, 0, 0, 0, 0 }, AugmentOps.Apply(img, AugmentOp.Sharpness, 1).Pixels);
        // 8 neighbours of 13 and a center of 0: (104 + 0) / 13 = 8.
        var ring = Gray(3, 3, 13, 13, 13, 13, 0, 13, 13, 13, 13);
        Assert.Equal(8, ColorOps.Smooth(ring)[1, 1]);
    }

    [Fact]
    public void PointOpsFollowTheirLookupTables()
    {
        var img = Gray(4, 1, 0xAB, 127, 128, 200);
        Assert.Equal(new byte[] { 0xA0, 0x70, 0x80, 0xC0 }, AugmentOps.Apply(img, AugmentOp.Posterize, 4).Pixels);
        Assert.Equal(img.Pixels, AugmentOps.Apply(img, AugmentOp.Posterize, 8).Pixels);
        Assert.Equal(new byte[] { 255 - 0xAB, 127, 127, 55 }, AugmentOps.Apply(img, AugmentOp.Solarize, 128).Pixels);
        Assert.Equal(img.Pixels, AugmentOps.Apply(img, AugmentOp.Solarize, 255).Pixels);
        Assert.Equal(new byte[] { 255 - 0xAB, 128, 127, 55 }, AugmentOps.Apply(img, AugmentOp.Invert, 0).Pixels);
    }

    /// <summary>lo 50, hi 150: scale 2.55, offset -127.5; 100 maps to int(127.5) = 127.</summary>
    [Fact]
    public void AutoContrastStretchesEachChannel()
    {
        Assert.Equal(new byte[] { 0, 127, 255 }, AugmentOps.Apply(Gray(3, 1, 50, 100, 150), AugmentOp.AutoContrast, 0).Pixels);
        var rgb = new Image8(2, 1, 3, [10, 7, 7, 20, 7, 9]);
        // R stretches 10..20 to 0..255; G is flat and stays; B stretches 7..9.
        Assert.Equal(new byte[] { 0, 7, 0, 255, 7, 255 }, AugmentOps.Apply(rgb, AugmentOp.AutoContrast, 0).Pixels);
    }

    /// <summary>100 pixels of 10, 200 of 20, 300 of 30: step = (600 - 300) // 255 = 1, lut = pixels below: 0, 100, 300 (clipped to 255).</summary>
    [Fact]
    public void EqualizeMapsByTheCumulativeHistogram()
    {
        var px = Enumerable.Repeat((byte)10, 100).Concat(Enumerable.Repeat((byte)20, 200)).Concat(Enumerable.Repeat((byte)30, 300)).ToArray();
        var eq = AugmentOps.Apply(Gray(600, 1, px), AugmentOp.Equalize, 0);
        Assert.Equal(new byte[] { 0, 100, 255 }, new[] { eq.Pixels[0], eq.Pixels[100], eq.Pixels[300] });
        // Fewer than 255 pixels below the top value: step 0, the image is unchanged.
        var small = Gray(3, 1, 1, 2, 3);
        Assert.Equal(small.Pixels, AugmentOps.Apply(small, AugmentOp.Equalize, 0).Pixels);
    }

    [Fact]
    public void MagnitudeBinsAreTorchvisions()
    {
        Assert.Equal(0.3f, (float)AugmentOps.Magnitude(AugmentOp.ShearX, 9, 10, 8, 8).magnitude);
        Assert.Equal(30f * 9 / 30, (float)AugmentOps.Magnitude(AugmentOp.Rotate, 9, 31, 8, 8).magnitude, 5);
        Assert.Equal(150.0 / 331 * 224 * 9 / 30, AugmentOps.Magnitude(AugmentOp.TranslateX, 9, 31, 100, 224).magnitude, 4);
        Assert.Equal(150.0 / 331 * 100 * 9 / 30, AugmentOps.Magnitude(AugmentOp.TranslateY, 9, 31, 100, 224).magnitude, 4);
        Assert.Equal((7.0, false), AugmentOps.Magnitude(AugmentOp.Posterize, 9, 31, 8, 8));
        Assert.Equal(178.5, AugmentOps.Magnitude(AugmentOp.Solarize, 9, 31, 8, 8).magnitude, 4);
        Assert.True(double.IsNaN(AugmentOps.Magnitude(AugmentOp.Equalize, 9, 31, 8, 8).magnitude));
    }

    [Fact]
    public void AutoAugmentHasTheImageNetPolicyAndIsDeterministic()
    {
        Assert.Equal(25, AutoAugment.ImageNetPolicy.Count);
        Assert.Equal(((AugmentOp.Posterize, 0.4, (int?)8), (AugmentOp.Rotate, 0.6, (int?)9)), AutoAugment.ImageNetPolicy[0]);
        Assert.Equal(((AugmentOp.ShearX, 0.6, (int?)5), (AugmentOp.Equalize, 1.0, (int?)null)), AutoAugment.ImageNetPolicy[18]);
        var img = new Image8(16, 12, 3, Enumerable.Range(0, 16 * 12 * 3).Select(i => (byte)(i * 7 % 256)).ToArray());
        var aa = new AutoAugment();
        int changed = 0;
        for (int seed = 0; seed < 60; seed++)
        {
            var a = aa.Apply(img.Clone(), Rng.For(seed, 1));
            Assert.Equal(a.Pixels, aa.Apply(img.Clone(), Rng.For(seed, 1)).Pixels);
            if (!a.Pixels.AsSpan().SequenceEqual(img.Pixels)) changed++;
        }
        Assert.InRange(changed, 30, 60);
    }

    [Fact]
    public void RandAugmentAppliesTwoOpsFromFourteen()
    {
        Assert.Equal(14, RandAugment.Ops.Count);
        Assert.DoesNotContain(AugmentOp.Invert, RandAugment.Ops);
        var img = new Image8(16, 12, 3, Enumerable.Range(0, 16 * 12 * 3).Select(i => (byte)(i * 11 % 256)).ToArray());
        var ra = new RandAugment();
        // Reproduce its draws: op index, then a sign only for signed ops, twice.
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = Rng.For(seed, 9);
            var expected = img;
            for (int i = 0; i < 2; i++)
            {
                var op = RandAugment.Ops[rng.NextInt(14)];
                var (m, signed) = AugmentOps.Magnitude(op, 9, 31, 12, 16);
                if (double.IsNaN(m)) m = 0;
                if (signed && rng.NextInt(2) == 1) m = -m;
                expected = AugmentOps.Apply(expected, op, m);
            }
            Assert.Equal(expected.Pixels, ra.Apply(img, Rng.For(seed, 9)).Pixels);
        }
    }
}
