using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ContextNets.Tests.Data;

/// <summary>
/// A minimal PNG encoder for the tests: IHDR, optional PLTE/tRNS, the zlib stream in one or more IDAT chunks, IEND,
/// with CRC-32s. Rows are filtered with one filter type, or with types 0..4 in turn (<see cref="EveryFilter"/>).
/// </summary>
internal static class PngWriter
{
    public const int Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6;

    /// <summary>Filter row y with type y % 5: none, sub, up, average, Paeth.</summary>
    public const int EveryFilter = -1;

    /// <summary>Encodes rows of raw samples (bitDepth 8 or 16, big-endian for 16) of the given PNG color type.</summary>
    public static byte[] Encode(int width, int height, int colorType, byte[] samples, int bitDepth = 8, byte[]? palette = null, byte[]? transparency = null,
        int filter = 0, int idatChunks = 1)
    {
        int channels = colorType switch { Gray => 1, Rgb => 3, Palette => 1, GrayAlpha => 2, Rgba => 4, _ => throw new ArgumentException("color type") };
        int rowBytes = (width * channels * bitDepth + 7) / 8, pixelBytes = Math.Max(1, channels * bitDepth / 8);
        if (samples.Length != rowBytes * height) throw new ArgumentException($"{samples.Length} sample bytes for {height} rows of {rowBytes}.");
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        Chunk(png, "IHDR", ihdr);
        if (palette is not null) Chunk(png, "PLTE", palette);
        if (transparency is not null) Chunk(png, "tRNS", transparency);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
                for (int y = 0; y < height; y++)
                {
                    int type = filter == EveryFilter ? y % 5 : filter;
                    z.WriteByte((byte)type);
                    z.Write(FilterRow(samples, y, rowBytes, pixelBytes, type));
                }
            var stream = raw.ToArray();
            int piece = (stream.Length + idatChunks - 1) / idatChunks;
            for (int start = 0; start < stream.Length; start += piece) Chunk(png, "IDAT", stream[start..Math.Min(stream.Length, start + piece)]);
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>PNG's forward filters, from the spec: each byte minus its predictor (left a, up b, upper-left c), modulo 256.</summary>
    private static byte[] FilterRow(byte[] samples, int y, int rowBytes, int pixelBytes, int type)
    {
        var row = new byte[rowBytes];
        for (int i = 0; i < rowBytes; i++)
        {
            int Sample(int r, int col) => r < 0 || col < 0 ? 0 : samples[r * rowBytes + col];
            int a = Sample(y, i - pixelBytes), b = Sample(y - 1, i), c = Sample(y - 1, i - pixelBytes);
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                _ => throw new ArgumentException($"filter type {type}"),
            };
            row[i] = (byte)(samples[y * rowBytes + i] - predictor);
        }
        return row;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        s.Write(word);
    }

    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
