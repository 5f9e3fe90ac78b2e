using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ContextNets.Data;

namespace ContextNets.IO;

/// <summary>
/// A small PNG encoder for charts and heat maps: 8-bit gray, RGB or RGBA, one
/// IDAT chunk compressed with zlib, every row with filter 0 (flat colours and
/// white space compress well without prediction). Decoding is the job of
/// <see cref="ImageDecoder"/> (libpng).
/// </summary>
public static class Png
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes HWC pixels with 1 (gray), 3 (RGB) or 4 (RGBA) channels.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        byte colorType = channels switch
        {
            1 => 0,
            3 => 2,
            4 => 6,
            _ => throw new ArgumentException($"A PNG is written with 1, 3 or 4 channels, not {channels}."),
        };
        if (width < 1 || height < 1) throw new ArgumentException($"A PNG needs a positive size, not {width}x{height}.");
        long rowBytes = (long)width * channels;
        if (pixels.Length != rowBytes * height)
            throw new ArgumentException($"{pixels.Length} bytes do not fill a {width}x{height}x{channels} image ({rowBytes * height} bytes).");

        using var png = new MemoryStream();
        png.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;
        header[9] = colorType;
        header[10] = header[11] = header[12] = 0;
        WriteChunk(png, "IHDR", header);

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);
                z.Write(pixels.Slice((int)(y * rowBytes), (int)rowBytes));
            }
        }
        WriteChunk(png, "IDAT", idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Encodes and writes atomically, so that a viewer never sees half a file.</summary>
    public static void Write(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        var bytes = Encode(pixels, width, height, channels);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Length, type, data, and the CRC-32 of type and data.</summary>
    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(typeBytes);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        s.Write(word);
    }
}
