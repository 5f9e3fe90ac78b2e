using System.Text.Json;

namespace ContextNets.Bench;

/// <summary>One convolution of bench/resnet50_convs.json.</summary>
internal sealed record ConvShape(string Name, int Cin, int Cout, int K, int Stride, int Pad, int Hw, int Count)
{
    public int OutHw => (Hw + 2 * Pad - K) / Stride + 1;

    /// <summary>Multiply-adds counted as two operations, for one forward pass at the given batch.</summary>
    public double ForwardFlops(int batch) => 2.0 * batch * Cout * OutHw * OutHw * Cin * K * K;

    public static (int batch, List<ConvShape> convs) Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var convs = new List<ConvShape>();
        foreach (var c in root.GetProperty("convs").EnumerateArray())
            convs.Add(new ConvShape(c.GetProperty("name").GetString()!, Int(c, "cin"), Int(c, "cout"), Int(c, "k"),
                Int(c, "stride"), Int(c, "pad"), Int(c, "hw"), Int(c, "count")));
        return (root.GetProperty("batch").GetInt32(), convs);
    }

    private static int Int(JsonElement e, string name) => e.GetProperty(name).GetInt32();
}
