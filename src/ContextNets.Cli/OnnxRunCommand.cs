using ContextNets.IO;

namespace ContextNets.Cli;

/// <summary>
/// The .onnx form of `ctxnet run`: `ctxnet run FILE.onnx --input IN --output OUT` imports the graph and runs it in
/// eval mode. A one-input graph reads `x` from IN (or the tensor named as its ONNX input); a graph of several
/// inputs reads each by its ONNX name. The first output is written as `logits`, as the zoo models' classifier
/// output is, and every output also under its ONNX name.
/// </summary>
internal static class OnnxRunCommand
{
    public static void Run(string modelPath, string inputPath, string outputPath, bool prepared)
    {
        OutputFile.Require(outputPath, "--output", "out.safetensors");
        if (!File.Exists(inputPath)) throw new CliException($"The input file {inputPath} does not exist.");
        using var inputs = SafetensorsFile.Read(inputPath);
        using var model = OnnxFile.Load(modelPath);
        var names = model.InputNames;
        var keys = names.Select(n => names.Count == 1 && !inputs.Contains(n) ? RunCommand.InputKey : n).ToArray();
        foreach (var key in keys)
            if (!inputs.Contains(key))
                throw new CliException($"{inputPath} has no tensor '{key}' for the graph's input (it holds {string.Join(", ", inputs.Keys.DefaultIfEmpty("nothing"))}).");
        using var scope = Tensor.Scope();
        var feeds = keys.Select(inputs.Load).ToArray();
        using var folded = prepared ? model.Prepare() : null;
        Tensor[] outputs;
        try
        {
            outputs = folded?.Run(feeds) ?? model.Run(feeds);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new CliException($"{modelPath} cannot run on {string.Join(", ", feeds.Select(f => f.Shape.ToString()))} from {inputPath}: {e.Message}");
        }
        var tensors = new Dictionary<string, Tensor> { ["logits"] = outputs[0] };
        for (int i = 0; i < outputs.Length; i++) tensors.TryAdd(model.OutputNames[i], outputs[i]);
        var metadata = new Dictionary<string, string> { ["model"] = Path.GetFileName(modelPath), ["path"] = prepared ? "prepared" : "eval" };
        DiskFullMessage.Guard(outputPath, "nothing else was changed", () => SafetensorsFile.Write(outputPath, tensors, metadata));
        Console.WriteLine($"wrote {outputPath}");
    }
}
