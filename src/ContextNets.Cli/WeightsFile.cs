using ContextNets.IO;
using ContextNets.IO.Mapping;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// A zoo model with weights from a file a user brings: safetensors or torch.save (.pth/.pt, zip or legacy), its keys
/// in timm's, mmcv's or the official ResNeSt's names. The one place the commands load outside weights from.
/// </summary>
internal static class WeightsFile
{
    /// <summary>
    /// Builds <paramref name="modelName"/> (with the zoo's default classes and channels unless given) and loads
    /// <paramref name="path"/> into it. Missing files, unknown models and files that do not fit the model throw
    /// with a message for the user. The caller owns the model.
    /// </summary>
    public static (Module model, LoadReport report) Load(string path, string modelName, int? classes = null, int? inChannels = null,
        bool strict = true, KeyConvention convention = KeyConvention.Auto)
    {
        if (!File.Exists(path)) throw new CliException($"The weights file {path} does not exist.");
        ModelCatalog.Require(modelName);
        if (classes is < 1) throw new CliException($"--classes must be at least 1, not {classes}.");
        if (inChannels is < 1) throw new CliException($"--in-channels must be at least 1, not {inChannels}.");
        Engine.EnsureNative();
        var model = ModelCatalog.Create(modelName, classes, inChannels);
        try
        {
            var report = model.Load(path, strict, convention);
            model.Eval();
            return (model, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
