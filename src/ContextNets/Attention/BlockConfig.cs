using System.Text.Json;

namespace ContextNets.Attention;

/// <summary>
/// Constructor arguments of a block as JSON (the `config` of the test vectors,
/// in the names of shared/reference/blocks.py). Every key must be read: an
/// unknown key is an error that names it, never silently ignored.
/// </summary>
public sealed class BlockConfig
{
    private readonly Dictionary<string, JsonElement> _values;
    private readonly HashSet<string> _used = [];

    public BlockConfig(string block, string json)
    {
        Block = block;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ArgumentException($"The {block} config is not a JSON object: {json}");
            _values = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The {block} config is not valid JSON ({e.Message}): {json}", e);
        }
    }

    public string Block { get; }

    public int Int(string key, int? fallback = null) => Read(key, fallback, v => v.GetInt32());
    public double Double(string key, double? fallback = null) => Read(key, fallback, v => v.GetDouble());
    public bool Bool(string key, bool? fallback = null) => Read(key, fallback, v => v.GetBoolean());
    public string String(string key, string? fallback = null) => Read(key, fallback, v => v.GetString()!);

    /// <summary>A list of integers; a single number stands for a list of one.</summary>
    public int[] IntList(string key, int[]? fallback = null) =>
        Read(key, fallback, v => v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [v.GetInt32()]);

    /// <summary>A value that may be JSON null or absent.</summary>
    public int? OptionalInt(string key)
    {
        _used.Add(key);
        return _values.TryGetValue(key, out var v) && v.ValueKind != JsonValueKind.Null ? Convert(key, v, e => e.GetInt32()) : null;
    }

    /// <summary>Throws when the config holds keys that the block did not read.</summary>
    public void EnsureAllUsed()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown {Block} config key(s): {string.Join(", ", unknown.Select(k => $"'{k}'"))}.");
    }

    private T Read<T>(string key, T? fallback, Func<JsonElement, T> get) where T : struct
    {
        _used.Add(key);
        if (_values.TryGetValue(key, out var v) && v.ValueKind != JsonValueKind.Null) return Convert(key, v, get);
        return fallback ?? throw new ArgumentException($"The {Block} config needs '{key}'.");
    }

    private T Read<T>(string key, T? fallback, Func<JsonElement, T> get) where T : class
    {
        _used.Add(key);
        if (_values.TryGetValue(key, out var v) && v.ValueKind != JsonValueKind.Null) return Convert(key, v, get);
        return fallback ?? throw new ArgumentException($"The {Block} config needs '{key}'.");
    }

    private T Convert<T>(string key, JsonElement v, Func<JsonElement, T> get)
    {
        try { return get(v); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"The {Block} config value '{key}' = {v.GetRawText()} has the wrong type.", e);
        }
    }
}
