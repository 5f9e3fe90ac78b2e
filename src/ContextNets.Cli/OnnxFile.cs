using ContextNets.Import;

namespace ContextNets.Cli;

/// <summary>The one place the commands read an ONNX file: a missing, malformed or unsupported file is a one-line refusal (exit 2).</summary>
internal static class OnnxFile
{
    public static bool Is(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>The imported graph (up to the value <paramref name="output"/> when given), in eval mode; the caller owns it.</summary>
    public static OnnxModel Load(string path, string? output = null)
    {
        if (!File.Exists(path)) throw new CliException($"The ONNX file {path} does not exist.");
        Engine.EnsureNative();
        try
        {
            var model = output is null ? OnnxModel.Load(path) : OnnxModel.Load(path, output);
            model.Eval();
            return model;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new CliException($"{path}: {e.Message}");
        }
    }
}
