using System.Globalization;
using ContextNets.Import;

namespace ContextNets.Cli;

/// <summary>
/// The .onnx form of `ctxnet import`: `ctxnet import FILE.onnx [--map] [--out W.safetensors]` imports the graph,
/// says what it holds, and writes its trainable state (parameters and BatchNorm statistics under their ONNX names)
/// as safetensors. --map prints what mapped where: each initializer with the key it became (or its use as a
/// constant), and each node with the op it runs as.
/// </summary>
internal static class OnnxImportCommand
{
    public static void Run(string path, string outPath, bool map)
    {
        using var model = OnnxFile.Load(path);
        if (map) PrintMap(model);
        var entries = model.Map;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"read {path}: ONNX opset {model.Opset}, {entries.Count(e => e.Kind == "node")} nodes, {entries.Count(e => e.Kind == "parameter")} parameters " +
            $"({model.ParameterCount:N0} values), {entries.Count(e => e.Kind == "buffer")} buffers, {entries.Count(e => e.Kind == "constant")} constants; " +
            $"inputs {string.Join(", ", model.InputNames)}; outputs {string.Join(", ", model.OutputNames)}"));
        string intact = File.Exists(outPath) ? $"the previous {outPath} is intact" : "nothing was written";
        DiskFullMessage.Guard(outPath, intact, () => IO.SafetensorsFile.Write(outPath, model.StateDict(), new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["imported_from"] = Path.GetFileName(path),
            ["onnx_opset"] = model.Opset.ToString(CultureInfo.InvariantCulture),
        }));
        Console.WriteLine($"wrote {outPath}");
    }

    private static void PrintMap(OnnxModel model)
    {
        var tensors = model.Map.Where(e => e.Kind != "node").ToList();
        int width = tensors.Select(e => e.Source.Length + e.Dims.Length + 1).DefaultIfEmpty(0).Max();
        foreach (var e in tensors)
            Console.WriteLine($"{$"{e.Source} {e.Dims}".PadRight(width)} -> {e.Kind} {e.Target}");
        int nodeWidth = model.Map.Where(e => e.Kind == "node").Select(e => e.Source.Length).DefaultIfEmpty(0).Max();
        foreach (var e in model.Map.Where(e => e.Kind == "node"))
            Console.WriteLine($"{e.Source.PadRight(nodeWidth)} -> {e.Target}");
    }
}
