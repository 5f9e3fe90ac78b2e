using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ContextNets.Data;
using ContextNets.IO;

namespace ContextNets.Tests.IO;

public class PngTests
{
    /// <summary>A PNG read by the specification: signature, chunks with their CRC-32 (computed here bit by bit), IHDR, zlib IDAT, filter-0 rows.</summary>
    private static (int width, int height, int channels, byte[] pixels) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int pos = 8, width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(BitwiseCrc(png.AsSpan(pos + 4, 4 + length)), crc);
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 0 => 1, 2 => 3, 6 => 4, _ => throw new InvalidDataException("color type") };
                Assert.Equal([0, 0, 0], data[10..13].ToArray());
            }
            if (type == "IDAT") idat.Write(data);
            pos += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        int rowBytes = width * channels;
        Assert.Equal(height * (rowBytes + 1), rows.Length);
        var pixels = new byte[height * rowBytes];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, rows[y * (rowBytes + 1)]);
            Array.Copy(rows, y * (rowBytes + 1) + 1, pixels, y * rowBytes, rowBytes);
        }
        return (width, height, channels, pixels);
    }

    /// <summary>CRC-32 (polynomial 0xEDB88320, reflected) one bit at a time: independent of the table the encoder uses.</summary>
    private static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320 : c >> 1;
        }
        return ~c;
    }

    private static byte[] Pattern(int width, int height, int channels) =>
        Enumerable.Range(0, width * height * channels).Select(i => (byte)(i * 37 + i / 7)).ToArray();

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 7, 1)]
    [InlineData(13, 7, 3)]
    [InlineData(5, 9, 4)]
    [InlineData(300, 200, 3)]
    public void EncodedPngDecodesToTheSamePixels(int width, int height, int channels)
    {
        var pixels = Pattern(width, height, channels);
        var png = Png.Encode(pixels, width, height, channels);
        var (w, h, c, back) = Decode(png);
        Assert.Equal((width, height, channels), (w, h, c));
        Assert.Equal(pixels, back);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void LibpngReadsItToo(int channels)
    {
        var pixels = Pattern(17, 11, channels);
        var image = ImageDecoder.Decode(Png.Encode(pixels, 17, 11, channels), "encoded", channels);
        Assert.Equal((17, 11), (image.Width, image.Height));
        Assert.Equal(pixels, image.Pixels);
    }

    [Fact]
    public void KnownCrcOfTheEmptyIend()
    {
        // Every PNG ends with IEND and this CRC.
        var png = Png.Encode(new byte[3], 1, 1, 3);
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 }, png[^12..]);
    }

    [Fact]
    public void BadInputIsRefusedWithTheSizes()
    {
        Assert.Contains("channels, not 2", Assert.Throws<ArgumentException>(() => Png.Encode(new byte[8], 2, 2, 2)).Message);
        Assert.Contains("11 bytes do not fill a 2x2x3", Assert.Throws<ArgumentException>(() => Png.Encode(new byte[11], 2, 2, 3)).Message);
        Assert.Contains("0x2", Assert.Throws<ArgumentException>(() => Png.Encode([], 0, 2, 1)).Message);
    }
}
