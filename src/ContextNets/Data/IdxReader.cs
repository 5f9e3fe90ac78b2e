using System.Buffers.Binary;
using System.IO.Compression;

namespace ContextNets.Data;

/// <summary>The images of an IDX file: Count images of Rows x Cols bytes, one after the other.</summary>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST, plain or gzipped. Every
/// check happens before a large allocation: a header that declares more data
/// than the file can hold fails at once, and a gzipped payload is read in
/// growing chunks, so a hostile header never makes us allocate what the file
/// does not actually contain. Any problem is an InvalidDataException that
/// names the file.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>The largest payload accepted (1 GiB): MNIST-like files are far below it.</summary>
    public const long MaxPayload = 1L << 30;

    // Deflate cannot expand data by more than about 1032:1, so a gzip file of n bytes holds at most this much.
    private const long MaxDeflateRatio = 1032;

    public static IdxImages ReadImages(string path)
    {
        var (dims, payload) = Read(path, ImagesMagic, "image", 3);
        if (dims[1] == 0 || dims[2] == 0) throw Bad(path, $"declares images of {dims[1]}x{dims[2]} pixels");
        return new IdxImages(dims[0], dims[1], dims[2], payload);
    }

    /// <summary>The labels, each checked to be below <paramref name="numClasses"/>.</summary>
    public static byte[] ReadLabels(string path, int numClasses)
    {
        var (_, labels) = Read(path, LabelsMagic, "label", 1);
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= numClasses)
                throw Bad(path, $"has label {labels[i]} at index {i}, outside the {numClasses} classes [0, {numClasses - 1}]");
        return labels;
    }

    private static (int[] dims, byte[] payload) Read(string path, int magic, string kind, int rank)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The IDX {kind} file {path} does not exist.", path);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long fileLength = file.Length;
            bool gz = IsGzip(file);
            using Stream input = gz ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            var head = new byte[4 + 4 * rank];
            if (ReadUpTo(input, head.AsSpan(0, 4)) < 4) throw Bad(path, "ends inside its header (truncated)");
            int found = BinaryPrimitives.ReadInt32BigEndian(head);
            if (found != magic)
                throw Bad(path, $"starts with magic number 0x{found:X8}, not 0x{magic:X8} (an IDX {kind} file)" +
                                (found == (magic == ImagesMagic ? LabelsMagic : ImagesMagic) ? $"; it looks like an IDX {(magic == ImagesMagic ? "label" : "image")} file" : ""));
            if (ReadUpTo(input, head.AsSpan(4)) < head.Length - 4) throw Bad(path, "ends inside its header (truncated)");
            var dims = new int[rank];
            long size = 1;
            for (int i = 0; i < rank; i++)
            {
                uint d = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4 + 4 * i));
                if (d > int.MaxValue) throw Bad(path, $"declares dimension {i} as {d}");
                dims[i] = (int)d;
                size *= d;
                if (size > MaxPayload) throw Bad(path, $"declares dimensions whose product is beyond the {MaxPayload >> 20} MiB limit");
            }
            long available = gz ? fileLength * MaxDeflateRatio : fileLength - head.Length;
            if (size > available)
                throw Bad(path, gz
                    ? $"declares {size} bytes of data, more than a {fileLength}-byte gzip file can hold (truncated or corrupt)"
                    : $"declares {Shape.Format(dims)} = {size} bytes of data but holds only {available} (truncated)");
            if (!gz && size < available) throw Bad(path, $"has {available - size} bytes after the {size} its header declares");
            var payload = ReadPayload(input, (int)size, path);
            if (input.ReadByte() >= 0) throw Bad(path, $"has data after the {size} bytes its header declares");
            if (gz) CheckGzipTrailer(file, head, payload, path);
            return (dims, payload);
        }
        catch (InvalidDataException e) when (!e.Message.Contains(path))
        {
            throw Bad(path, $"is corrupt: {e.Message}");
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw Bad(path, $"could not be read: {e.Message}");
        }
    }

    /// <summary>
    /// .NET's GZipStream does not notice a file cut after the last deflate block, so the trailer is checked here:
    /// the CRC-32 and the length (mod 2^32) of what was decompressed.
    /// </summary>
    private static void CheckGzipTrailer(FileStream file, byte[] head, byte[] payload, string path)
    {
        Span<byte> trailer = stackalloc byte[8];
        if (file.Length < 18) throw Bad(path, "is too short to be a whole gzip file (truncated)");
        file.Position = file.Length - 8;
        if (ReadUpTo(file, trailer) < 8) throw Bad(path, "ends inside its gzip trailer (truncated)");
        var crc32 = new System.IO.Hashing.Crc32();
        crc32.Append(head);
        crc32.Append(payload);
        uint crc = crc32.GetCurrentHashAsUInt32();
        uint length = (uint)(head.Length + (long)payload.Length);
        if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != crc || BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) != length)
            throw Bad(path, "does not end with the gzip trailer of its data: the file is truncated or corrupt");
    }

    private static bool IsGzip(FileStream file)
    {
        int a = file.ReadByte(), b = file.ReadByte();
        file.Position = 0;
        return a == 0x1F && b == 0x8B;
    }

    /// <summary>Reads exactly size bytes, growing the buffer with the data actually read, never by the declared size alone.</summary>
    private static byte[] ReadPayload(Stream input, int size, string path)
    {
        var buffer = new byte[Math.Min(size, 1 << 22)];
        int filled = 0;
        while (filled < size)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(size, 2L * buffer.Length));
            int n = input.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) throw Bad(path, $"ends after {filled} of the {size} data bytes its header declares (truncated)");
            filled += n;
        }
        return buffer;
    }

    private static int ReadUpTo(Stream s, Span<byte> dst)
    {
        int total = 0;
        while (total < dst.Length)
        {
            int n = s.Read(dst[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static InvalidDataException Bad(string path, string what) => new($"IDX file {path} {what}.");
}
