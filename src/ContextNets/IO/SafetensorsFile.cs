using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace ContextNets.IO;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, then the raw
/// little-endian data. Every declared size and offset is checked against the
/// file before anything is allocated, so a truncated or hostile file gets a
/// clear error instead of a huge allocation or a read past the end.
/// </summary>
public sealed class SafetensorsFile : IStateDictSource
{
    private const long MaxHeaderBytes = 100L << 20;
    private readonly Dictionary<string, Entry> _entries;
    private readonly byte[] _data;

    private SafetensorsFile(Dictionary<string, Entry> entries, byte[] data, IReadOnlyDictionary<string, string> metadata)
    {
        _entries = entries;
        _data = data;
        Metadata = metadata;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IEnumerable<string> Keys => _entries.Keys;
    public bool Contains(string key) => _entries.ContainsKey(key);
    public Shape ShapeOf(string key) => Get(key).Shape;
    public string DTypeOf(string key) => Get(key).DType;

    public static SafetensorsFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at {path}.", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static SafetensorsFile Parse(byte[] bytes, string name = "safetensors data")
    {
        if (bytes.Length < 8) throw new InvalidDataException($"{name}: {bytes.Length} bytes is too short for a safetensors header.");
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (declared > MaxHeaderBytes || (long)declared > bytes.Length - 8)
            throw new InvalidDataException($"{name}: the header declares {declared} bytes, but the file has {bytes.Length - 8} after the length (truncated or not safetensors).");
        long headerLength = (long)declared;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength)); }
        catch (JsonException e) { throw new InvalidDataException($"{name}: the header is not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{name}: the header is not a JSON object.");
            long dataStart = 8 + headerLength, dataLength = bytes.Length - dataStart;
            var entries = new Dictionary<string, Entry>();
            var metadata = new Dictionary<string, string>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{name}: __metadata__ is not an object.");
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                entries[prop.Name] = Entry.Parse(prop.Name, prop.Value, dataLength, name);
            }
            var data = bytes.AsSpan((int)dataStart).ToArray();
            return new SafetensorsFile(entries, data, metadata);
        }
    }

    /// <summary>A tensor converted to float32 (F32, F16, BF16, F64, I64 and I32 are read).</summary>
    public Tensor Load(string key)
    {
        var e = Get(key);
        var values = DTypes.ToFloat(e.DType, _data.AsSpan((int)e.Begin, (int)(e.End - e.Begin)), key);
        return Tensor.FromArray(values, e.Shape);
    }

    private Entry Get(string key) =>
        _entries.TryGetValue(key, out var e) ? e : throw new KeyNotFoundException($"The safetensors file has no tensor '{key}'.");

    private sealed record Entry(string DType, Shape Shape, long Begin, long End)
    {
        public static Entry Parse(string key, JsonElement v, long dataLength, string file)
        {
            try
            {
                string dtype = v.GetProperty("dtype").GetString() ?? "";
                int size = DTypes.Size(dtype, key);
                var dims = v.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = v.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw new InvalidDataException($"{file}: tensor '{key}' has offsets [{string.Join(", ", offsets)}] outside the {dataLength} data bytes.");
                long count = 1;
                foreach (long d in dims)
                {
                    if (d < 0 || d > int.MaxValue) throw new InvalidDataException($"{file}: tensor '{key}' has a bad dimension {d}.");
                    count = checked(count * d);
                }
                if (checked(count * size) != offsets[1] - offsets[0])
                    throw new InvalidDataException($"{file}: tensor '{key}' of shape [{string.Join(", ", dims)}] and {dtype} needs {count * size} bytes, its offsets give {offsets[1] - offsets[0]}.");
                return new Entry(dtype, new Shape(dims.Select(d => (int)d).ToArray()), offsets[0], offsets[1]);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
            {
                throw new InvalidDataException($"{file}: tensor '{key}' has a malformed header entry ({e.Message}).", e);
            }
        }
    }

    /// <summary>Writes float32 tensors (row-major, keys sorted) with optional metadata, atomically: a temporary file, fsync, then rename.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => WriteTo(stream, tensors, metadata));

    /// <summary>The same bytes as <see cref="Write"/>, to a stream.</summary>
    internal static void WriteTo(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        var keys = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        foreach (var k in keys)
        {
            long bytes = (long)tensors[k].Numel * sizeof(float);
            header[k] = new { dtype = "F32", shape = tensors[k].Shape.Dims.ToArray(), data_offsets = new[] { offset, offset + bytes } };
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
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensors[k].ToArray().AsSpan()));
    }
}
