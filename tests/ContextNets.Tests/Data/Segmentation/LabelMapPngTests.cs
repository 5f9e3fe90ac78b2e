using System.Buffers.Binary;
using ContextNets.Data;
using ContextNets.Data.Segmentation;

namespace ContextNets.Tests.Data.Segmentation;

/// <summary>
/// The label-map PNG decoder on maps written by the tests' PNG writer (which applies PNG's forward filters from the
/// spec): palette indices come back as indices (where the image decoder gives their colours), at every palette depth
/// and filter type, over several IDAT chunks; what a label map cannot be, and damaged files, are refused in one line.
/// </summary>
public sealed class LabelMapPngTests
{
    [Fact]
    public void PaletteMapsGiveTheirIndicesWhereTheImageDecoderGivesColours()
    {
        var png = LabelMapData.LabelMap(image: 1, width: 13, height: 7);
        var (labels, w, h) = LabelMapPng.Decode(png, "map.png");
        Assert.Equal((13, 7), (w, h));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) Assert.Equal(LabelMapData.Label(1, x, y), labels[y * w + x]);

        // libpng's simplified API expands the palette: the reason this decoder exists.
        var rgb = ImageDecoder.Decode(png, "map.png", 3);
        var palette = LabelMapData.Palette();
        for (int p = 0; p < labels.Length; p++)
            Assert.Equal(palette.AsSpan(3 * labels[p], 3).ToArray(), rgb.Pixels.AsSpan(3 * p, 3).ToArray());
    }

    [Theory]
    [InlineData(PngWriter.Palette, 1)]
    [InlineData(PngWriter.Palette, 2)]
    [InlineData(PngWriter.Palette, 4)]
    [InlineData(PngWriter.Palette, 8)]
    [InlineData(PngWriter.Gray, 8)]
    public void EveryDepthAndFilterDecodes(int colorType, int depth)
    {
        const int width = 11, height = 10;
        var values = new byte[width * height];
        for (int p = 0; p < values.Length; p++) values[p] = (byte)((p * 7 + p / width) % (1 << depth));
        int perByte = 8 / depth, rowBytes = (width + perByte - 1) / perByte;
        var packed = new byte[rowBytes * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                packed[y * rowBytes + x / perByte] |= (byte)(values[y * width + x] << (8 - depth * (x % perByte + 1)));
        var png = PngWriter.Encode(width, height, colorType, packed, depth, palette: colorType == PngWriter.Palette ? new byte[3 << depth] : null,
            filter: PngWriter.EveryFilter, idatChunks: 3);
        var (labels, _, _) = LabelMapPng.Decode(png, "map.png");
        Assert.Equal(values, labels);
    }

    [Theory]
    [InlineData(PngWriter.Rgb, 8, "is a RGB PNG")]
    [InlineData(PngWriter.Rgba, 8, "is a RGBA PNG")]
    [InlineData(PngWriter.Gray, 16, "is a 16-bit gray PNG")]
    [InlineData(PngWriter.Gray, 4, "is a 4-bit gray PNG")]
    public void WhatIsNotALabelMapIsRefused(int colorType, int depth, string message)
    {
        int channels = colorType switch { PngWriter.Rgb => 3, PngWriter.Rgba => 4, _ => 1 };
        var png = PngWriter.Encode(4, 2, colorType, new byte[(4 * channels * depth + 7) / 8 * 2], depth);
        Refused(png, message);
    }

    [Fact]
    public void DamageIsRefusedInOneLine()
    {
        var good = LabelMapData.LabelMap(0, 9, 5);
        Refused([.. good.Take(good.Length - 12)], "ends before its IEND chunk");
        Refused([.. good.Take(60)], "longer than the rest of the file");
        Refused([.. good.Select((b, i) => i == 45 ? (byte)(b ^ 1) : b)], "CRC does not match");
        Refused([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 0, 0], "is not a PNG file");

        var interlaced = (byte[])good.Clone();
        interlaced[28] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(interlaced.AsSpan(29), PngWriter.Crc32(interlaced[12..29]));
        Refused(interlaced, "is interlaced");

        var tall = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(tall.AsSpan(20), 50);
        BinaryPrimitives.WriteUInt32BigEndian(tall.AsSpan(29), PngWriter.Crc32(tall[12..29]));
        Refused(tall, "(truncated)");
    }

    private static void Refused(byte[] png, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => LabelMapPng.Decode(png, "map.png"));
        Assert.StartsWith("map.png: the label map ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
