using System.Globalization;
using System.Text.Json;
using ContextNets.IO;

namespace ContextNets.Models.Inference;

/// <summary>One folded conv's int8 setting: its input's quantization, whether it fell back to f32, and its measured error.</summary>
/// <param name="Conv">The conv's description ("64->256 1x1 stride 1"), which must match the model it is applied to.</param>
/// <param name="Precision">Int8, or Fp32 for a conv that fell back.</param>
/// <param name="Input">The input's scale and signedness.</param>
/// <param name="SqnrDb">The int8 output's signal-to-quantization-noise ratio against f32 on the first calibration batch.</param>
public sealed record LayerQuantization(string Conv, Precision Precision, ActivationQuantization Input, double SqnrDb);

/// <summary>
/// The int8 settings of every folded conv of a prepared model, in the order the model runs them: what calibration
/// found, saved in a safetensors file's metadata beside the weights so that a model reloads quantized without
/// calibrating again. The parser is strict: every field present with its type, nothing else, scales positive and finite.
/// </summary>
public sealed class QuantizationTable
{
    public const string MetadataKey = "ctxnet.quantization";
    private const int Format = 1;

    /// <summary>The calibration methods' names in the JSON (and the CLI), in <see cref="CalibrationMethod"/>'s order.</summary>
    public static IReadOnlyList<string> MethodNames { get; } = ["minmax", "percentile", "entropy"];

    /// <summary>The method of that name, or null.</summary>
    public static CalibrationMethod? MethodNamed(string name) =>
        MethodNames.Select((n, i) => (n, i)).FirstOrDefault(p => p.n == name) is ({ } _, var index) ? (CalibrationMethod)index : null;

    public QuantizationTable(CalibrationMethod method, IReadOnlyList<LayerQuantization> layers)
    {
        Method = method;
        Layers = layers;
    }

    public CalibrationMethod Method { get; }

    public IReadOnlyList<LayerQuantization> Layers { get; }

    public int FallbackCount => Layers.Count(l => l.Precision == Precision.Fp32);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("format", Format);
            w.WriteString("method", MethodNames[(int)Method]);
            w.WriteStartArray("layers");
            foreach (var l in Layers)
            {
                w.WriteStartObject();
                w.WriteString("conv", l.Conv);
                w.WriteString("precision", l.Precision == Precision.Int8 ? "int8" : "fp32");
                w.WriteNumber("scale", l.Input.Scale);
                w.WriteBoolean("unsigned", l.Input.Unsigned);
                w.WriteNumber("sqnr_db", double.IsFinite(l.SqnrDb) ? Math.Round(l.SqnrDb, 3) : 999);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Parses <see cref="ToJson"/>'s text; anything else throws an InvalidDataException that names the problem.</summary>
    public static QuantizationTable Parse(string json, string source = "quantization metadata")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the int8 scales are not valid JSON: {e.Message}");
        }
        using (doc)
        {
            string table = $"{source}: the int8 scales";
            var root = Object(doc.RootElement, table, "format", "method", "layers");
            if (Number(root, "format", table) != Format) throw new InvalidDataException($"{table} have format {root.GetProperty("format")}, not {Format}.");
            var method = Text(root, "method", table) switch
            {
                var m when MethodNamed(m) is { } known => known,
                var m => throw new InvalidDataException($"{table} name an unknown calibration method '{m}'."),
            };
            var layersElement = root.GetProperty("layers");
            if (layersElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{table}: 'layers' is not an array.");
            var layers = new List<LayerQuantization>();
            foreach (var item in layersElement.EnumerateArray())
            {
                string where = $"{source}: int8 layer {layers.Count}";
                var e = Object(item, where, "conv", "precision", "scale", "unsigned", "sqnr_db");
                var precision = Text(e, "precision", where) switch
                {
                    "int8" => Precision.Int8,
                    "fp32" => Precision.Fp32,
                    var p => throw new InvalidDataException($"{where}: precision '{p}' is neither int8 nor fp32."),
                };
                double scale = Number(e, "scale", where);
                if (!((float)scale > 0 && scale <= float.MaxValue)) throw new InvalidDataException($"{where}: scale {scale.ToString(CultureInfo.InvariantCulture)} is not positive and finite.");
                var unsignedElement = e.GetProperty("unsigned");
                if (unsignedElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new InvalidDataException($"{where}: 'unsigned' is not true or false.");
                layers.Add(new LayerQuantization(Text(e, "conv", where), precision, new ActivationQuantization((float)scale, unsignedElement.GetBoolean()), Number(e, "sqnr_db", where)));
            }
            if (layers.Count == 0) throw new InvalidDataException($"{table} list no layers.");
            return new QuantizationTable(method, layers);
        }
    }

    /// <summary>The table saved in a safetensors file by <see cref="InferenceModel.Save"/>.</summary>
    public static QuantizationTable Read(string path)
    {
        using var file = SafetensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"{path}: it holds no int8 scales (no '{MetadataKey}' metadata): it was not saved from an int8 model.");
        return Parse(json, path);
    }

    private static JsonElement Object(JsonElement e, string where, params string[] fields)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where} is not a JSON object.");
        var names = e.EnumerateObject().Select(p => p.Name).ToList();
        if (names.Count != names.Distinct().Count()) throw new InvalidDataException($"{where} repeats a field.");
        foreach (var n in names)
            if (!fields.Contains(n)) throw new InvalidDataException($"{where} has an unknown field '{n}'.");
        foreach (var f in fields)
            if (!names.Contains(f)) throw new InvalidDataException($"{where} lacks the field '{f}'.");
        return e;
    }

    private static double Number(JsonElement e, string name, string where)
    {
        var v = e.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
            throw new InvalidDataException($"{where}: '{name}' is not a finite number.");
        return d;
    }

    private static string Text(JsonElement e, string name, string where)
    {
        var v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidDataException($"{where}: '{name}' is not a string.");
    }
}
