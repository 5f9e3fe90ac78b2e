using System.Buffers.Binary;
using System.Text;

namespace ContextNets.IO.Torch;

/// <summary>One member of a <see cref="StoredZip"/>: where its bytes lie in the archive, how many, and their CRC-32.</summary>
internal sealed record ZipEntry(string Name, long DataOffset, long Length, uint Crc);

/// <summary>
/// A reader for the zip archives torch.save writes: stored (uncompressed) members, a central directory with or
/// without the zip64 end records, no encryption, one disk. It reads the central directory only, and a member's
/// bytes when asked, checking their CRC. Every size and offset is checked against the archive's length before
/// anything is allocated; members must not overlap or repeat a name. Anything else is a
/// <see cref="InvalidDataException"/>. (System.IO.Compression.ZipArchive was not used: it accepts members whose
/// central and local records disagree, hands back fewer bytes than declared, and checks no CRC.)
/// </summary>
internal sealed class StoredZip
{
    private const uint LocalSig = 0x04034b50, CentralSig = 0x02014b50, EndSig = 0x06054b50, End64Sig = 0x06064b50, Locator64Sig = 0x07064b50;
    private const int LocalHeaderSize = 30, CentralHeaderSize = 46, EndSize = 22, Locator64Size = 20, End64Size = 56;

    private readonly Stream _stream;
    private readonly string _name;
    private readonly Dictionary<string, ZipEntry> _entries;

    private StoredZip(Stream stream, string name, Dictionary<string, ZipEntry> entries)
    {
        _stream = stream;
        _name = name;
        _entries = entries;
    }

    public IEnumerable<ZipEntry> Entries => _entries.Values;

    public bool TryGet(string name, out ZipEntry entry) => _entries.TryGetValue(name, out entry!);

    /// <summary>Reads the central directory of a seekable stream; <paramref name="name"/> goes into error messages.</summary>
    public static StoredZip Open(Stream stream, string name)
    {
        long length = stream.Length;
        if (length < EndSize) throw Bad(name, $"{length} bytes is too short for a zip archive");
        var (count, cdOffset, cdSize, cdLimit) = ReadEnd(stream, name, length);
        if (cdOffset > cdLimit || cdSize > cdLimit - cdOffset)
            throw Bad(name, $"the central directory ({cdSize} bytes at {cdOffset}) runs past the end records at {cdLimit}");
        if (cdSize > Array.MaxLength) throw Bad(name, $"a central directory of {cdSize} bytes is more than this reader takes");
        if (count > cdSize / CentralHeaderSize)
            throw Bad(name, $"{count} members cannot fit in a central directory of {cdSize} bytes");
        var cd = ReadAt(stream, name, cdOffset, (int)cdSize);
        var entries = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        var spans = new List<(long start, long end, string name)>();
        int pos = 0;
        for (long i = 0; i < count; i++)
        {
            var (entry, start) = ReadCentral(stream, name, cd, ref pos, cdOffset);
            if (!entries.TryAdd(entry.Name, entry)) throw Bad(name, $"the member '{entry.Name}' appears twice");
            spans.Add((start, entry.DataOffset + entry.Length, entry.Name));
        }
        if (pos != cd.Length) throw Bad(name, $"the central directory has {cd.Length - pos} bytes after its {count} members");
        spans.Sort((a, b) => a.start.CompareTo(b.start));
        for (int i = 1; i < spans.Count; i++)
            if (spans[i].start < spans[i - 1].end) throw Bad(name, $"the members '{spans[i - 1].name}' and '{spans[i].name}' overlap");
        return new StoredZip(stream, name, entries);
    }

    /// <summary>A member's bytes, after checking their CRC-32.</summary>
    public byte[] Read(ZipEntry entry)
    {
        if (entry.Length > Array.MaxLength) throw Bad(_name, $"the member '{entry.Name}' has {entry.Length} bytes, more than one array can hold");
        var bytes = ReadAt(_stream, _name, entry.DataOffset, (int)entry.Length);
        uint crc = System.IO.Hashing.Crc32.HashToUInt32(bytes);
        if (crc != entry.Crc) throw Bad(_name, $"the member '{entry.Name}' is damaged: its CRC-32 is {crc:x8}, the directory says {entry.Crc:x8}");
        return bytes;
    }

    // The end of central directory record (22 bytes plus a comment of up to 64 KiB, at the very end), and the zip64
    // record it may point to. Returns the member count, the directory's offset and size, and where the end records begin.
    private static (long count, long cdOffset, long cdSize, long cdLimit) ReadEnd(Stream stream, string name, long length)
    {
        int tailLength = (int)Math.Min(length, EndSize + ushort.MaxValue + Locator64Size);
        var tail = ReadAt(stream, name, length - tailLength, tailLength);
        int at = -1;
        for (int p = tailLength - EndSize; p >= 0; p--)
            if (U32(tail, p) == EndSig && U16(tail, p + 20) == tailLength - p - EndSize)
            {
                at = p;
                break;
            }
        if (at < 0) throw Bad(name, "no end of central directory record (not a zip archive, or truncated)");
        long endPos = length - tailLength + at;
        if (U16(tail, at + 4) != 0 || U16(tail, at + 6) != 0 || U16(tail, at + 8) != U16(tail, at + 10))
            throw Bad(name, "the archive spans several disks");
        long count = U16(tail, at + 10), cdSize = U32(tail, at + 12), cdOffset = U32(tail, at + 16);
        if (at < Locator64Size || U32(tail, at - Locator64Size) != Locator64Sig) return (count, cdOffset, cdSize, endPos);

        long locatorPos = endPos - Locator64Size;
        if (U32(tail, at - Locator64Size + 4) != 0 || U32(tail, at - Locator64Size + 16) > 1)
            throw Bad(name, "the zip64 locator points to another disk");
        long end64 = Long(name, U64(tail, at - Locator64Size + 8), "end record offset");
        if (end64 < 0 || end64 > locatorPos - End64Size) throw Bad(name, $"the zip64 end record offset {end64} lies outside the archive");
        var rec = ReadAt(stream, name, end64, End64Size);
        if (U32(rec, 0) != End64Sig) throw Bad(name, $"no zip64 end record at {end64}");
        if (U32(rec, 16) != 0 || U32(rec, 20) != 0 || U64(rec, 24) != U64(rec, 32)) throw Bad(name, "the archive spans several disks");
        long count64 = Long(name, U64(rec, 32), "member count"), size64 = Long(name, U64(rec, 40), "directory size"), offset64 = Long(name, U64(rec, 48), "directory offset");
        if ((count != 0xFFFF && count != count64) || (cdSize != 0xFFFFFFFF && cdSize != size64) || (cdOffset != 0xFFFFFFFF && cdOffset != offset64))
            throw Bad(name, "the zip64 and classic end records disagree");
        return (count64, offset64, size64, end64);
    }

    // One central directory header, and the local header it points to. Returns the entry and where its local header starts.
    private static (ZipEntry entry, long start) ReadCentral(Stream stream, string name, byte[] cd, ref int pos, long cdOffset)
    {
        if (cd.Length - pos < CentralHeaderSize || U32(cd, pos) != CentralSig)
            throw Bad(name, $"no central directory header at {cdOffset + pos}");
        int flags = U16(cd, pos + 8), method = U16(cd, pos + 10);
        uint crc = U32(cd, pos + 16);
        long compressed = U32(cd, pos + 20), size = U32(cd, pos + 24);
        int nameLength = U16(cd, pos + 28), extraLength = U16(cd, pos + 30), commentLength = U16(cd, pos + 32);
        int disk = U16(cd, pos + 34);
        long localOffset = U32(cd, pos + 42);
        int variable = nameLength + extraLength + commentLength;
        if (cd.Length - pos - CentralHeaderSize < variable) throw Bad(name, $"the central directory header at {cdOffset + pos} runs past the directory");
        string memberName = DecodeName(name, cd.AsSpan(pos + CentralHeaderSize, nameLength));
        var extra = cd.AsSpan(pos + CentralHeaderSize + nameLength, extraLength);
        pos += CentralHeaderSize + variable;

        if ((flags & 1) != 0) throw Bad(name, $"the member '{memberName}' is encrypted");
        if (method != 0) throw Bad(name, $"the member '{memberName}' is compressed (method {method}); torch.save stores members uncompressed");
        ReadZip64Extra(name, memberName, extra, ref size, ref compressed, ref localOffset, ref disk);
        if (disk != 0) throw Bad(name, $"the member '{memberName}' lies on another disk");
        if (compressed != size) throw Bad(name, $"the stored member '{memberName}' declares {compressed} bytes stored and {size} bytes of data");
        if (localOffset > cdOffset - LocalHeaderSize) throw Bad(name, $"the member '{memberName}' has its local header at {localOffset}, outside the data area");

        var local = ReadAt(stream, name, localOffset, LocalHeaderSize);
        if (U32(local, 0) != LocalSig) throw Bad(name, $"no local header for '{memberName}' at {localOffset}");
        int localName = U16(local, 26), localExtra = U16(local, 28);
        long dataOffset = localOffset + LocalHeaderSize + localName + localExtra;
        if (dataOffset > cdOffset || size > cdOffset - dataOffset)
            throw Bad(name, $"the member '{memberName}' ({size} bytes at {dataOffset}) runs past the data area, which ends at {cdOffset}");
        if (localName != nameLength || DecodeName(name, ReadAt(stream, name, localOffset + LocalHeaderSize, localName)) != memberName)
            throw Bad(name, $"the local header at {localOffset} names another member than '{memberName}'");
        // With flag bit 3 (torch.save sets it) the local sizes are zero and a data descriptor follows the data.
        if ((flags & 8) == 0 && (U32(local, 18) != Math.Min(compressed, 0xFFFFFFFF) || U32(local, 22) != Math.Min(size, 0xFFFFFFFF) || U32(local, 14) != crc))
            throw Bad(name, $"the local header of '{memberName}' disagrees with the central directory");
        return (new ZipEntry(memberName, dataOffset, size, crc), localOffset);
    }

    // The zip64 extended information field holds, in this order, those of the sizes, offset and disk whose classic fields are saturated.
    private static void ReadZip64Extra(string name, string member, ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long offset, ref int disk)
    {
        bool needed = size == 0xFFFFFFFF || compressed == 0xFFFFFFFF || offset == 0xFFFFFFFF || disk == 0xFFFF;
        int p = 0;
        while (extra.Length - p >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra[p..]), len = BinaryPrimitives.ReadUInt16LittleEndian(extra[(p + 2)..]);
            if (extra.Length - p - 4 < len) throw Bad(name, $"the member '{member}' has a malformed extra field");
            if (id == 1)
            {
                var f = extra.Slice(p + 4, len).ToArray();
                int q = 0;
                long Next(string what)
                {
                    if (f.Length - q < 8) throw Bad(name, $"the zip64 field of '{member}' lacks the {what}");
                    long v = Long(name, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(q)), what);
                    q += 8;
                    return v;
                }
                if (size == 0xFFFFFFFF) size = Next("size");
                if (compressed == 0xFFFFFFFF) compressed = Next("stored size");
                if (offset == 0xFFFFFFFF) offset = Next("header offset");
                if (disk == 0xFFFF)
                {
                    if (f.Length - q < 4) throw Bad(name, $"the zip64 field of '{member}' lacks the disk number");
                    disk = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(q)), int.MaxValue);
                }
                return;
            }
            p += 4 + len;
        }
        if (needed) throw Bad(name, $"the member '{member}' has saturated sizes but no zip64 field");
    }

    private static string DecodeName(string name, ReadOnlySpan<byte> bytes)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Bad(name, "a member name is not valid UTF-8"); }
    }

    private static byte[] ReadAt(Stream stream, string name, long offset, int count)
    {
        if (offset < 0 || count < 0 || offset > stream.Length - count)
            throw Bad(name, $"{count} bytes at {offset} lie past the end of the {stream.Length}-byte archive");
        var buffer = new byte[count];
        stream.Position = offset;
        try { stream.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw Bad(name, $"the archive ends before {count} bytes at {offset}"); }
        return buffer;
    }

    private static long Long(string name, ulong v, string what) =>
        v <= long.MaxValue ? (long)v : throw Bad(name, $"the zip64 {what} {v} is out of range");

    private static int U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));

    private static InvalidDataException Bad(string name, string what) => TorchFormat.Error($"{name}: {what}.");
}
