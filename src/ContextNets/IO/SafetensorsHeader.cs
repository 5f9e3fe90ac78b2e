using System.Text.Json;
using System.Text.Unicode;

namespace ContextNets.IO;

/// <summary>One tensor's record in a safetensors header: dtype, shape and its byte range in the data section.</summary>
internal sealed record SafetensorsEntry(string DType, Shape Shape, long Begin, long End);

/// <summary>
/// The JSON header of a safetensors file, checked as the reference implementation (huggingface/safetensors)
/// checks it: valid UTF-8, a JSON object, each key once, and the tensors' byte ranges tiling the data section
/// exactly, in some order, with no gap, no overlap and nothing after the last one. A file that breaks any of these
/// is an <see cref="InvalidDataException"/> naming the tensor.
/// </summary>
internal static class SafetensorsHeader
{
    public static (Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata) Parse(ReadOnlySpan<byte> json, long dataLength, string name)
    {
        if (!Utf8.IsValid(json)) throw new InvalidDataException($"{name}: the header is not valid UTF-8.");
        var reader = new Utf8JsonReader(json);
        JsonDocument doc;
        try { doc = JsonDocument.ParseValue(ref reader); }
        catch (JsonException e) { throw new InvalidDataException($"{name}: the header is not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{name}: the header is not a JSON object.");
            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            try
            {
                foreach (var prop in doc.RootElement.EnumerateObject())
                {
                    if (prop.Name == "__metadata__")
                    {
                        if (sawMetadata) throw new InvalidDataException($"{name}: the header has __metadata__ twice.");
                        sawMetadata = true;
                        ReadMetadata(prop.Value, metadata, name);
                        continue;
                    }
                    if (entries.ContainsKey(prop.Name))
                        throw new InvalidDataException($"{name}: the header names tensor '{prop.Name}' twice.");
                    entries[prop.Name] = ParseEntry(prop.Name, prop.Value, dataLength, name);
                }
            }
            catch (InvalidOperationException e)
            {
                // An escape such as "\udc00" decodes to no valid text: the name cannot be read back.
                throw new InvalidDataException($"{name}: the header holds a key or string that is not valid Unicode ({e.Message}).", e);
            }
            CheckLayout(entries, dataLength, name);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string name)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{name}: __metadata__ is not an object.");
        foreach (var m in value.EnumerateObject())
        {
            if (!metadata.TryAdd(m.Name, m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText()))
                throw new InvalidDataException($"{name}: __metadata__ names '{m.Name}' twice.");
        }
    }

    /// <summary>Sorted by where they begin, the ranges must follow each other from byte 0 to the data's end.</summary>
    private static void CheckLayout(Dictionary<string, SafetensorsEntry> entries, long dataLength, string name)
    {
        long end = 0;
        foreach (var (key, e) in entries.OrderBy(kv => kv.Value.Begin).ThenBy(kv => kv.Value.End))
        {
            if (e.Begin < end) throw new InvalidDataException($"{name}: tensor '{key}' at bytes [{e.Begin}, {e.End}) overlaps the tensor before it, which ends at {end}.");
            if (e.Begin > end) throw new InvalidDataException($"{name}: tensor '{key}' begins at byte {e.Begin}, leaving a gap after byte {end} that no tensor covers.");
            end = e.End;
        }
        if (end != dataLength)
            throw new InvalidDataException($"{name}: the tensors end at byte {end} of the data, but {dataLength - end} more bytes follow them.");
    }

    private static SafetensorsEntry ParseEntry(string key, JsonElement v, long dataLength, string file)
    {
        try
        {
            string dtype = v.GetProperty("dtype").GetString() ?? "";
            int size;
            try { size = DTypes.Size(dtype, key); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{file}: {e.Message}", e); }
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
            return new SafetensorsEntry(dtype, new Shape(dims.Select(d => (int)d).ToArray()), offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"{file}: tensor '{key}' has a malformed header entry ({e.Message}).", e);
        }
    }
}
