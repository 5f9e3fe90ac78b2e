using ContextNets.Models;
using ContextNets.Models.Segmentation;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>The models the tool can train: the zoo's, made in <see cref="Create"/> and nowhere else.</summary>
internal static class ModelCatalog
{
    public const string Default = "gc_resnet20";

    public static IReadOnlyList<string> Names => Zoo.Names;

    /// <summary>
    /// Throws a <see cref="CliException"/> listing the known names when <paramref name="name"/> is not one; segmenter
    /// names count only for the commands that run them (<paramref name="segmenters"/>).
    /// </summary>
    public static void Require(string name, bool segmenters = false)
    {
        if (Zoo.Contains(name) || (segmenters && Segmenters.IsSegmenter(name))) return;
        string also = segmenters ? ", and the segmenters fcn_<model> and deeplabv3_<model> on the ImageNet ones" : "";
        throw new CliException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)} (ctxnet models lists them with their sizes){also}.");
    }

    /// <summary>The classes a model has when none are given: the zoo entry's, or a segmenter's 21 (torchvision's VOC default).</summary>
    public static int DefaultClasses(string name) => Segmenters.IsSegmenter(name) ? Segmenters.DefaultClasses : Zoo.Entry(name).DefaultClasses;

    /// <summary>
    /// The model, with the zoo's default classes and channels where null. Sizes no tensor can hold (--classes
    /// 2000000000) are refused with the model's own message.
    /// </summary>
    public static Module Create(string name, int? numClasses, int? inChannels, int seed = Zoo.DefaultSeed, float dropBlock = 0, bool aux = false)
    {
        Require(name, segmenters: true);
        try
        {
            if (Segmenters.IsSegmenter(name))
                return Segmenters.Create(name, numClasses ?? Segmenters.DefaultClasses, aux, inChannels: inChannels, seed: seed);
            var model = Zoo.Create(name, numClasses, inChannels, seed);
            model.DropBlockRate = dropBlock;
            return model;
        }
        catch (ArgumentException e) { throw new CliException($"{name} with {numClasses?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "its default"} classes and {inChannels?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "its default"} input channels cannot be built: {e.Message}"); }
    }

    /// <summary>The side of the square images a model is made for: what image folders are trained at unless --image-size says otherwise.</summary>
    public static int InputSize(string name) => Zoo.Entry(name).InputSize;
}
