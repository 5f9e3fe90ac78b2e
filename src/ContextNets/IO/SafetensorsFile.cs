using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ContextNets.IO;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
/// and byte range, then the raw little-endian data. The header is checked whole before anything is allocated
/// (<see cref="SafetensorsHeader"/>), so a truncated or hostile file gets a clear error instead of a huge allocation
/// or a read past the end. A file is memory-mapped, not read into one array, so files past 2 GiB load and only the
/// tensors asked for are touched; the mapping is released by Dispose.
/// </summary>
public sealed class SafetensorsFile : IStateDictSource, IDisposable
{
    private const long MaxHeaderBytes = 100L << 20;
    private readonly Dictionary<string, SafetensorsEntry> _entries;
    private readonly byte[]? _array;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly long _dataStart;
    private bool _disposed;

    private SafetensorsFile(Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart,
        byte[]? array, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        _entries = entries;
        Metadata = metadata;
        _dataStart = dataStart;
        _array = array;
        _map = map;
        _view = view;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IEnumerable<string> Keys => _entries.Keys;
    public bool Contains(string key) => _entries.ContainsKey(key);
    public Shape ShapeOf(string key) => Get(key).Shape;
    public string DTypeOf(string key) => Get(key).DType;

    /// <summary>
    /// Maps the file and checks its header; dispose the result to unmap it at once (an undisposed one is unmapped by
    /// its finalizer).
    /// </summary>
    public static SafetensorsFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at {path}.", path);
        long length = new FileInfo(path).Length;
        if (length < 8) throw TooShort(path, length);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            ulong declared = view.ReadUInt64(0);
            // Only the header is copied out here; a declared length past the file is refused by ParseHeader.
            var head = new byte[8 + (int)Math.Min(Math.Min(declared, MaxHeaderBytes + 1), (ulong)(length - 8))];
            view.ReadArray(0, head, 0, head.Length);
            var (entries, metadata, dataStart) = ParseHeader(head, length, path);
            return new SafetensorsFile(entries, metadata, dataStart, null, map, view);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Reads safetensors bytes held in memory (a file's whole contents).</summary>
    public static SafetensorsFile Parse(byte[] bytes, string name = "safetensors data")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8) throw TooShort(name, bytes.Length);
        var (entries, metadata, dataStart) = ParseHeader(bytes, bytes.Length, name);
        return new SafetensorsFile(entries, metadata, dataStart, bytes, null, null);
    }

    private static InvalidDataException TooShort(string name, long length) =>
        new($"{name}: {length} bytes is too short for a safetensors header.");

    /// <summary><paramref name="head"/> starts at byte 0 and holds at least the header; <paramref name="length"/> is the whole file's.</summary>
    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>, long) ParseHeader(ReadOnlySpan<byte> head, long length, string name)
    {
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (declared > MaxHeaderBytes || (long)declared > length - 8)
            throw new InvalidDataException($"{name}: the header declares {declared} bytes, but the file has {length - 8} after the length (truncated or not safetensors).");
        long dataStart = 8 + (long)declared;
        var (entries, metadata) = SafetensorsHeader.Parse(head.Slice(8, (int)declared), length - dataStart, name);
        return (entries, metadata, dataStart);
    }

    /// <summary>A tensor converted to float32 (F32, F16, BF16, F64, I64 and I32 are read).</summary>
    public Tensor Load(string key)
    {
        var e = Get(key);
        long bytes = e.End - e.Begin;
        if (bytes > int.MaxValue) throw new InvalidDataException($"Tensor '{key}' holds {bytes} bytes; ContextNets loads tensors of up to 2 GiB each.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        ReadOnlySpan<byte> span;
        if (_array is not null) span = _array.AsSpan((int)(_dataStart + e.Begin), (int)bytes);
        else
        {
            var copy = new byte[bytes];
            _view!.ReadArray(_dataStart + e.Begin, copy, 0, copy.Length);
            span = copy;
        }
        // F32 (what we write) goes from the file's bytes to the tensor's memory in one copy.
        return e.DType == "F32" && BitConverter.IsLittleEndian
            ? Tensor.FromArray(MemoryMarshal.Cast<byte, float>(span), e.Shape)
            : Tensor.FromArray(DTypes.ToFloat(e.DType, span, key), e.Shape);
    }

    private SafetensorsEntry Get(string key) =>
        _entries.TryGetValue(key, out var e) ? e : throw new KeyNotFoundException($"The safetensors file has no tensor '{key}'.");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view?.Dispose();
        _map?.Dispose();
    }

    /// <summary>
    /// Writes float32 tensors (row-major, keys sorted) with optional metadata, atomically: a temporary file, fsync, then
    /// rename. The tensors named in <paramref name="int64Keys"/> are stored as I64 (their values rounded to integers).
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlySet<string>? int64Keys = null) =>
        AtomicFile.Write(path, stream => WriteTo(stream, tensors, metadata, int64Keys));

    /// <summary>The same bytes as <see cref="Write"/>, to a stream.</summary>
    internal static void WriteTo(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlySet<string>? int64Keys = null)
    {
        bool IsInt64(string key) => int64Keys?.Contains(key) == true;
        var header = new Dictionary<string, object>();
        long offset = 0;
        var keys = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        foreach (var k in keys)
        {
            long bytes = (long)tensors[k].Numel * (IsInt64(k) ? sizeof(long) : sizeof(float));
            header[k] = new { dtype = IsInt64(k) ? "I64" : "F32", shape = tensors[k].Shape.Dims.ToArray(), data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
        stream.Write(len);
        stream.Write(json);
        for (int i = 0; i < pad; i++) stream.WriteByte((byte)' ');
        foreach (var k in keys)
        {
            var t = tensors[k];
            // A contiguous float tensor goes out from its own memory: a checkpoint's tensors would otherwise be copied
            // once more into managed arrays, which for a 12M-parameter model took more time than the writing.
            if (IsInt64(k)) stream.Write(MemoryMarshal.AsBytes(Array.ConvertAll(t.ToArray(), v => (long)MathF.Round(v)).AsSpan()));
            else if (t.IsContiguous) stream.Write(MemoryMarshal.AsBytes((ReadOnlySpan<float>)t.Span));
            else stream.Write(MemoryMarshal.AsBytes(t.ToArray().AsSpan()));
        }
    }
}
