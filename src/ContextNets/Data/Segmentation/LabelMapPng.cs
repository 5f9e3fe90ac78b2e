using System.Buffers.Binary;
using System.IO.Compression;

namespace ContextNets.Data.Segmentation;

/// <summary>
/// Reads a PNG label map as its raw sample values, one class index per pixel: 8-bit gray (ADE20K, Cityscapes) or
/// palette of 1 to 8 bits (PASCAL VOC), where the value kept is the palette index, not its colour. The image decoder
/// (libpng's simplified API) expands palettes to RGB and cannot give the indices back, hence this decoder. It is
/// managed and strict: chunk CRCs are checked, the file must end with IEND, and any damage is a one-line
/// <see cref="InvalidDataException"/> that starts with the file's name.
/// </summary>
public static class LabelMapPng
{
    private const int GrayType = 0, PaletteType = 3;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Reads and decodes the label map in <paramref name="path"/>.</summary>
    public static (byte[] Labels, int Width, int Height) Load(string path) => Decode(ImageDecoder.ReadFile(path), path);

    /// <summary>Decodes PNG bytes; <paramref name="name"/> starts every error message.</summary>
    public static (byte[] Labels, int Width, int Height) Decode(byte[] data, string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length < Signature.Length || !data.AsSpan(0, Signature.Length).SequenceEqual(Signature))
            throw Bad(name, "is not a PNG file (its first bytes are not the PNG signature)");
        var header = default(Header);
        using var compressed = new MemoryStream();
        int at = Signature.Length;
        bool ended = false, sawData = false, lastWasData = false;
        while (!ended)
        {
            if (data.Length - at < 12) throw Bad(name, "ends before its IEND chunk (truncated)");
            uint size = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            if (size > data.Length - at - 12) throw Bad(name, "has a chunk longer than the rest of the file (truncated or corrupt)");
            var type = data.AsSpan(at + 4, 4);
            var body = data.AsSpan(at + 8, (int)size);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at + 8 + (int)size));
            if (System.IO.Hashing.Crc32.HashToUInt32(data.AsSpan(at + 4, 4 + (int)size)) != crc) throw Bad(name, $"has a damaged {Printable(type)} chunk (its CRC does not match)");
            bool first = at == Signature.Length;
            at += 12 + (int)size;
            if (first != type.SequenceEqual("IHDR"u8)) throw Bad(name, "does not start with its IHDR chunk");
            bool isData = type.SequenceEqual("IDAT"u8);
            if (isData && sawData && !lastWasData) throw Bad(name, "has IDAT chunks that are not consecutive");
            (sawData, lastWasData) = (sawData || isData, isData);
            if (type.SequenceEqual("IHDR"u8)) header = Header.Read(body, name);
            else if (isData) compressed.Write(body);
            else if (type.SequenceEqual("IEND"u8)) ended = true;
            else if (!type.SequenceEqual("PLTE"u8) && (type[0] & 0x20) == 0)
                throw Bad(name, $"has a critical chunk {Printable(type)} that PNG readers must understand and this one does not");
        }
        if (compressed.Length == 0) throw Bad(name, "has no pixel data (no IDAT chunk)");
        var rows = Inflate(compressed, header, name);
        return (Unfilter(rows, header, name), header.Width, header.Height);
    }

    private readonly record struct Header(int Width, int Height, int BitDepth)
    {
        /// <summary>The bytes of one row's samples, without its filter byte.</summary>
        public int RowBytes => (int)(((long)Width * BitDepth + 7) / 8);

        public static Header Read(ReadOnlySpan<byte> ihdr, string name)
        {
            if (ihdr.Length != 13) throw Bad(name, "has an IHDR chunk of the wrong length");
            uint w = BinaryPrimitives.ReadUInt32BigEndian(ihdr), h = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
            int depth = ihdr[8], color = ihdr[9];
            if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue || (ulong)w * h > Image8.MaxPixels)
                throw Bad(name, $"declares a size of {w}x{h} pixels; label maps must be non-empty and at most {Image8.MaxPixels >> 20} MP");
            if (ihdr[10] != 0 || ihdr[11] != 0) throw Bad(name, "declares a compression or filter method PNG does not define");
            if (ihdr[12] == 1) throw Bad(name, "is interlaced (Adam7); label maps are read without interlacing: save it again without");
            if (ihdr[12] != 0) throw Bad(name, $"declares the unknown interlace method {ihdr[12]}");
            bool supported = color switch
            {
                GrayType => depth == 8,
                PaletteType => depth is 1 or 2 or 4 or 8,
                _ => false,
            };
            if (!supported)
                throw Bad(name, $"is a {Describe(color, depth)} PNG; a label map is an 8-bit gray or a palette PNG whose values are the class indices (255 = ignore)");
            return new Header((int)w, (int)h, depth);
        }

        private static string Describe(int color, int depth) => color switch
        {
            GrayType => $"{depth}-bit gray",
            2 => "RGB",
            4 => "gray + alpha",
            6 => "RGBA",
            PaletteType => $"{depth}-bit palette",
            _ => $"colour type {color}",
        };
    }

    /// <summary>Exactly the filtered rows the header calls for: a shorter stream is truncated data, anything after them is ignored.</summary>
    private static byte[] Inflate(MemoryStream compressed, Header header, string name)
    {
        var rows = new byte[(long)(header.RowBytes + 1) * header.Height];
        compressed.Position = 0;
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            int filled = 0;
            while (filled < rows.Length)
            {
                int n = z.Read(rows, filled, rows.Length - filled);
                if (n == 0) throw Bad(name, $"holds {filled} bytes of pixel data where its {header.Width}x{header.Height} size needs {rows.Length} (truncated)");
                filled += n;
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw Bad(name, $"has corrupt compressed pixel data ({OneLine(e.Message)})");
        }
        return rows;
    }

    /// <summary>Undoes PNG's per-row filters (one byte per pixel at these depths, so the left neighbour is one byte back) and unpacks sub-byte samples.</summary>
    private static byte[] Unfilter(byte[] rows, Header header, string name)
    {
        int stride = header.RowBytes;
        var previous = new byte[stride];
        var current = new byte[stride];
        var labels = new byte[(long)header.Width * header.Height];
        for (int y = 0; y < header.Height; y++)
        {
            int filter = rows[y * (stride + 1)];
            Array.Copy(rows, y * (stride + 1) + 1, current, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int left = i > 0 ? current[i - 1] : 0, up = previous[i], corner = i > 0 ? previous[i - 1] : 0;
                current[i] += filter switch
                {
                    0 => 0,
                    1 => (byte)left,
                    2 => (byte)up,
                    3 => (byte)((left + up) / 2),
                    4 => Paeth(left, up, corner),
                    _ => throw Bad(name, $"uses the unknown filter type {filter} on row {y}"),
                };
            }
            Unpack(current, header, labels.AsSpan(y * header.Width, header.Width));
            (previous, current) = (current, previous);
        }
        return labels;
    }

    private static void Unpack(byte[] row, Header header, Span<byte> output)
    {
        if (header.BitDepth == 8)
        {
            row.AsSpan(0, output.Length).CopyTo(output);
            return;
        }
        int depth = header.BitDepth, perByte = 8 / depth, mask = (1 << depth) - 1;
        for (int x = 0; x < output.Length; x++)
            output[x] = (byte)((row[x / perByte] >> (8 - depth * (x % perByte + 1))) & mask);
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    private static string Printable(ReadOnlySpan<byte> type)
    {
        var chars = new char[type.Length];
        for (int i = 0; i < type.Length; i++) chars[i] = type[i] is >= 0x20 and < 0x7f ? (char)type[i] : '?';
        return new string(chars);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static InvalidDataException Bad(string name, string problem) => new($"{name}: the label map {problem}.");
}
