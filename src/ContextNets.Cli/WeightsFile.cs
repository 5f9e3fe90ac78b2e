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
    /// <paramref name="path"/> into it; segmenters (built with an aux head when the file has one) only where <paramref name="segmenters"/> allows. Missing files, unknown models and files that do not fit the model throw
    /// with a message for the user. The caller owns the model.
    /// </summary>
    public static (Module model, LoadReport report) Load(string path, string modelName, int? classes = null, int? inChannels = null,
        bool strict = true, KeyConvention convention = KeyConvention.Auto, bool segmenters = false)
    {
        if (!File.Exists(path)) throw new CliException($"The weights file {path} does not exist.");
        ModelCatalog.Require(modelName, segmenters);
        if (classes is < 1) throw new CliException($"--classes must be at least 1, not {classes}.");
        if (inChannels is < 1) throw new CliException($"--in-channels must be at least 1, not {inChannels}.");
        Engine.EnsureNative();
        bool segmenter = Models.Segmentation.Segmenters.IsSegmenter(modelName);
        bool aux = segmenter && HoldsAuxHead(path);
        Module model;
        // A strict load overwrites every weight, so the random draws of a fresh initialization are skipped; a lenient
        // one keeps the initialization of what the file lacks.
        if (strict)
            using (Initializers.SkipRandom()) model = ModelCatalog.Create(modelName, classes, inChannels, aux: aux);
        else model = ModelCatalog.Create(modelName, classes, inChannels, aux: aux);
        // A segmenter's keys are torchvision's own, whose `backbone.` prefix would otherwise be taken for OpenMMLab's.
        if (segmenter && convention == KeyConvention.Auto) convention = KeyConvention.Timm;
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

    /// <summary>Whether a segmenter's weights hold torchvision's aux head (`aux_classifier`), which the model is then built with.</summary>
    private static bool HoldsAuxHead(string path)
    {
        var source = StateDictFiles.Open(path);
        try
        {
            return source.Contains("aux_classifier.0.weight");
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }
}
