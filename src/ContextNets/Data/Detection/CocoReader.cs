using System.Text.Json;

namespace ContextNets.Data.Detection;

/// <summary>The checked reads of <see cref="CocoIndex"/>: each returns a valid value or throws one line naming the entry.</summary>
internal sealed class CocoReader(string source)
{
    public InvalidDataException Fail(string message) => new($"{source}: {message}.");

    public IEnumerable<(JsonElement element, int index)> Array(JsonElement root, string name, bool required)
    {
        if (!root.TryGetProperty(name, out var array))
        {
            if (required) throw Fail($"there is no \"{name}\" array");
            return [];
        }
        if (array.ValueKind != JsonValueKind.Array) throw Fail($"\"{name}\" must be an array, not {Kind(array)}");
        var items = array.EnumerateArray().Select((e, i) => (e, i)).ToList();
        foreach (var (e, i) in items)
            if (e.ValueKind != JsonValueKind.Object) throw Fail($"{name}[{i}] must be an object, not {Kind(e)}");
        return items;
    }

    public long Id(JsonElement e, string key, string where) =>
        Property(e, key, where) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out long id)
            ? id : throw Fail($"{where}: \"{key}\" must be an integer");

    public string String(JsonElement e, string key, string where) =>
        Property(e, key, where) is { ValueKind: JsonValueKind.String } v && v.GetString() is { Length: > 0 } s
            ? s : throw Fail($"{where}: \"{key}\" must be a non-empty string");

    public int Size(JsonElement e, string key, string where) =>
        Property(e, key, where) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out int size) && size is >= 1 and <= 1 << 15
            ? size : throw Fail($"{where}: \"{key}\" must be an integer in [1, 32768]");

    public bool Crowd(JsonElement e, string where)
    {
        if (!e.TryGetProperty("iscrowd", out var v)) return false;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int crowd) && crowd is 0 or 1
            ? crowd == 1 : throw Fail($"{where}: \"iscrowd\" must be 0 or 1");
    }

    /// <summary>The box [x, y, w, h] as (x1, y1, x2, y2), clipped to the image; it must keep a positive area there.</summary>
    public (float x1, float y1, float x2, float y2) Box(JsonElement e, string where, CocoImage image)
    {
        var v = Numbers(Property(e, "bbox", where), where, "bbox");
        if (v.Length != 4) throw Fail($"{where}: \"bbox\" must be [x, y, width, height], got {v.Length} numbers");
        if (!(v[2] > 0 && v[3] > 0)) throw Fail($"{where}: bad box [{string.Join(", ", v)}]: width and height must be positive");
        float x1 = Math.Clamp(v[0], 0, image.Width), y1 = Math.Clamp(v[1], 0, image.Height);
        float x2 = Math.Clamp(v[0] + v[2], 0, image.Width), y2 = Math.Clamp(v[1] + v[3], 0, image.Height);
        if (!(x2 > x1 && y2 > y1)) throw Fail($"{where}: bad box [{string.Join(", ", v)}]: it lies outside its {image.Width}x{image.Height} image");
        return (x1, y1, x2, y2);
    }

    /// <summary>The segmentation: polygons, uncompressed RLE, or none (the box then stands for the mask).</summary>
    public CocoShape Shape(JsonElement e, string where, CocoImage image)
    {
        if (!e.TryGetProperty("segmentation", out var s) || s.ValueKind == JsonValueKind.Null) return CocoShape.None;
        if (s.ValueKind == JsonValueKind.Array)
        {
            var polygons = new List<float[]>();
            foreach (var p in s.EnumerateArray())
            {
                var points = Numbers(p, where, "segmentation polygon");
                if (points.Length < 6 || points.Length % 2 != 0)
                    throw Fail($"{where}: a segmentation polygon needs an even count of at least 6 coordinates, got {points.Length}");
                polygons.Add(points);
            }
            return CocoShape.FromPolygons(polygons);
        }
        if (s.ValueKind != JsonValueKind.Object) throw Fail($"{where}: \"segmentation\" must be polygons or an RLE object, not {Kind(s)}");
        var size = Numbers(Property(s, "size", where), where, "segmentation size");
        if (size.Length != 2 || size[0] != image.Height || size[1] != image.Width)
            throw Fail($"{where}: the RLE's size [{string.Join(", ", size)}] is not its image's [{image.Height}, {image.Width}]");
        var counts = Property(s, "counts", where);
        if (counts.ValueKind == JsonValueKind.String)
            throw Fail($"{where}: compressed RLE (a counts string) is not read; write uncompressed counts (a list of run lengths)");
        var runs = Numbers(counts, where, "RLE counts");
        long total = 0;
        foreach (float r in runs)
        {
            if (r < 0 || r != MathF.Floor(r)) throw Fail($"{where}: RLE counts must be non-negative integers");
            total += (long)r;
        }
        if (total != (long)image.Width * image.Height)
            throw Fail($"{where}: the RLE counts cover {total} pixels, not the image's {image.Width * image.Height}");
        return CocoShape.FromRuns([.. runs.Select(r => (int)r)]);
    }

    private JsonElement Property(JsonElement e, string key, string where) =>
        e.TryGetProperty(key, out var v) ? v : throw Fail($"{where}: \"{key}\" is missing");

    private float[] Numbers(JsonElement e, string where, string what)
    {
        if (e.ValueKind != JsonValueKind.Array) throw Fail($"{where}: \"{what}\" must be an array of numbers, not {Kind(e)}");
        var values = new List<float>();
        foreach (var v in e.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d) || Math.Abs(d) > 1e7)
                throw Fail($"{where}: \"{what}\" holds {Kind(v)} where a finite number (|x| ≤ 1e7) belongs");
            values.Add((float)d);
        }
        return [.. values];
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
