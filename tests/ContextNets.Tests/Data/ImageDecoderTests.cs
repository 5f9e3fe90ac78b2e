using ContextNets.Data;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Data;

public class ImageDecoderTests
{
    private static string Fixture(string name) => Path.Combine(TestData.RepoRoot, "tests", "testdata", "images", name);

    private static byte[] Samples(int n, int mul) => Enumerable.Range(0, n).Select(i => (byte)(i * mul % 251)).ToArray();

    [Fact]
    public void GrayPngDecodesExactly()
    {
        var samples = Samples(5 * 3, 17);
        var img = ImageDecoder.Decode(PngWriter.Encode(5, 3, PngWriter.Gray, samples), "gray.png", channels: 1);
        Assert.Equal((5, 3, 1), (img.Width, img.Height, img.Channels));
        Assert.Equal(samples, img.Pixels);
        var rgb = ImageDecoder.Decode(PngWriter.Encode(5, 3, PngWriter.Gray, samples), "gray.png", channels: 3);
        Assert.Equal(samples.SelectMany(v => new[] { v, v, v }), rgb.Pixels);
    }

    [Fact]
    public void RgbPngDecodesExactlyAndToGrayWithPilLuma()
    {
        var samples = Samples(4 * 6 * 3, 29);
        var png = PngWriter.Encode(4, 6, PngWriter.Rgb, samples);
        var img = ImageDecoder.Decode(png, "rgb.png");
        Assert.Equal((4, 6, 3), (img.Width, img.Height, img.Channels));
        Assert.Equal(samples, img.Pixels);
        var gray = ImageDecoder.Decode(png, "rgb.png", channels: 1);
        for (int i = 0; i < 24; i++)
        {
            int r = samples[3 * i], g = samples[3 * i + 1], b = samples[3 * i + 2];
            Assert.Equal((byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16), gray.Pixels[i]);
        }
    }

    [Fact]
    public void AlphaIsDroppedNotComposited()
    {
        var rgba = Samples(3 * 2 * 4, 41);
        for (int i = 3; i < rgba.Length; i += 4) rgba[i] = (byte)(i * 7);
        var img = ImageDecoder.Decode(PngWriter.Encode(3, 2, PngWriter.Rgba, rgba), "rgba.png");
        Assert.Equal(Enumerable.Range(0, 6).SelectMany(p => rgba.Skip(4 * p).Take(3)), img.Pixels);
    }

    [Fact]
    public void PalettePngAndSixteenBitPngDecode()
    {
        byte[] palette = [10, 20, 30, 200, 100, 50, 0, 255, 128];
        var img = ImageDecoder.Decode(PngWriter.Encode(3, 1, PngWriter.Palette, [2, 0, 1], palette: palette), "palette.png");
        Assert.Equal(new byte[] { 0, 255, 128, 10, 20, 30, 200, 100, 50 }, img.Pixels);
        // 16-bit gray: the high byte is the 8-bit value when the low byte repeats it (v * 257 maps to v exactly).
        byte[] wide = [0x12, 0x12, 0xAB, 0xAB, 0xFF, 0xFF, 0x00, 0x00];
        var g16 = ImageDecoder.Decode(PngWriter.Encode(2, 2, PngWriter.Gray, wide, bitDepth: 16), "g16.png", channels: 1);
        Assert.Equal(new byte[] { 0x12, 0xAB, 0xFF, 0x00 }, g16.Pixels);
    }

    /// <summary>The fixtures were written by PIL (make_images.py), which decodes with the same libjpeg-turbo: the pixels must agree exactly.</summary>
    [Theory]
    [InlineData("rgb", 3)]
    [InlineData("gray", 1)]
    [InlineData("rgb_progressive", 3)]
    public void JpegDecodesAsPilDoes(string name, int channels)
    {
        var img = ImageDecoder.Load(Fixture(name + ".jpg"), channels);
        Assert.Equal((16, 12, channels), (img.Width, img.Height, img.Channels));
        Assert.Equal(File.ReadAllBytes(Fixture(name + ".expected")), img.Pixels);
    }

    [Fact]
    public void GrayJpegAsRgbRepeatsTheValue()
    {
        var img = ImageDecoder.Load(Fixture("gray.jpg"), 3);
        Assert.Equal(File.ReadAllBytes(Fixture("gray.expected")).SelectMany(v => new[] { v, v, v }), img.Pixels);
    }

    [Fact]
    public void TruncatedPngIsInvalidDataNamingTheFile()
    {
        var png = PngWriter.Encode(20, 20, PngWriter.Rgb, Samples(20 * 20 * 3, 13));
        foreach (int keep in new[] { 8, 20, 33, 45, png.Length / 2, png.Length - 12, png.Length - 1 })
        {
            var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png[..keep], $"cut{keep}.png"));
            Assert.Contains($"cut{keep}.png", ex.Message);
        }
    }

    [Fact]
    public void CorruptPngIsInvalidData()
    {
        var png = PngWriter.Encode(8, 8, PngWriter.Gray, Samples(64, 5));
        png[40] ^= 0xFF;
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png, "bad.png"));
        Assert.Contains("bad.png is not a valid PNG", ex.Message);
    }

    [Fact]
    public void TruncatedJpegIsInvalidDataNamingTheFile()
    {
        var messages = new List<string>();
        foreach (var name in new[] { "rgb.jpg", "rgb_progressive.jpg" })
        {
            var jpeg = File.ReadAllBytes(Fixture(name));
            foreach (int keep in new[] { 3, 20, 100, jpeg.Length / 2, jpeg.Length - 2 })
            {
                var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(jpeg[..keep], $"cut{keep}-{name}"));
                Assert.Contains($"cut{keep}-{name}", ex.Message);
                messages.Add(ex.Message);
            }
        }
        Assert.Contains(messages, m => m.Contains("Premature end of JPEG file"));
    }

    /// <summary>Stray bytes before the end marker make libjpeg warn; PIL decodes such a file, and so do we.</summary>
    [Fact]
    public void JpegWithABenignWarningDecodes()
    {
        var jpeg = File.ReadAllBytes(Fixture("rgb.jpg"));
        Assert.Equal(new byte[] { 0xFF, 0xD9 }, jpeg[^2..]);
        var padded = jpeg[..^2].Concat(new byte[] { 0x12, 0x34, 0xFF, 0xD9 }).ToArray();
        Assert.Equal(File.ReadAllBytes(Fixture("rgb.expected")), ImageDecoder.Decode(padded, "padded.jpg").Pixels);
    }

    [Fact]
    public void HugeDeclaredSizeIsRefusedBeforeDecoding()
    {
        // A valid IHDR for 20000 x 20000 (400 MP) with almost no data: refused on the header, nothing allocated for it.
        var png = PngWriter.Encode(1, 1, PngWriter.Gray, [0]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 20000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 20000);
        var ihdrCrc = PngWriter.Crc32(png[12..29]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), ihdrCrc);
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png, "huge.png"));
        Assert.Contains("20000x20000", ex.Message);
        Assert.Contains("64 MP", ex.Message);
    }

    [Fact]
    public void OtherFormatsAreRejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode("GIF89a......"u8.ToArray(), "x.gif"));
        Assert.Contains("x.gif is neither PNG nor JPEG", ex.Message);
    }

    [Fact]
    public void ContentNotExtensionDecidesTheFormat()
    {
        using var dir = new TempDir();
        var path = dir.Write("actually-a-jpeg.png", File.ReadAllBytes(Fixture("rgb.jpg")));
        Assert.Equal(File.ReadAllBytes(Fixture("rgb.expected")), ImageDecoder.Load(path).Pixels);
    }
}
