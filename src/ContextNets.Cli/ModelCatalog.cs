using ContextNets.Models;
using ContextNets.Models.Segmentation;
using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>The models the tool can train: the zoo's, made in <see cref="Create"/> and nowhere else.</summary>
internal static class ModelCatalog
{
    public const string Default = "gc_resnet20";

    public static IReadOnlyList<string> Names { get; } = [.. Zoo.Names, .. VideoZoo.Names];

    /// <summary>True for the video networks, which take clips [N, C, T, H, W].</summary>
    public static bool IsVideo(string name) => VideoZoo.Contains(name);

    /// <summary>
    /// Throws a <see cref="CliException"/> listing the known names when <paramref name="name"/> is not one; segmenter
    /// names count only for the commands that run them (<paramref name="segmenters"/>).
    /// </summary>
    public static void Require(string name, bool segmenters = false)
    {
        if (Zoo.Contains(name) || IsVideo(name) || (segmenters && Segmenters.IsSegmenter(name))) return;
        string also = segmenters ? ", and the segmenters fcn_<model> and deeplabv3_<model> on the ImageNet ones" : "";
        throw new CliException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)} (ctxnet models lists them with their sizes){also}.");
    }

    /// <summary>Like <see cref="Require"/>, and refuses the video networks for a command that feeds images.</summary>
    public static void RequireImageModel(string name, string command)
    {
        Require(name);
        if (IsVideo(name))
            throw new CliException($"{name} is a video network (clips [N, 3, T, H, W]); ctxnet {command} runs image networks only. ctxnet run takes it on a clip (docs/video.md).");
    }

    /// <summary>The classes a model has when none are given: the zoo entry's, a video network's, or a segmenter's 21 (torchvision's VOC default).</summary>
    public static int DefaultClasses(string name) =>
        Segmenters.IsSegmenter(name) ? Segmenters.DefaultClasses : IsVideo(name) ? VideoZoo.Entry(name).DefaultClasses : Zoo.Entry(name).DefaultClasses;

    /// <summary>
    /// The model, with the zoo's default classes and channels where null. Sizes no tensor can hold (--classes
    /// 2000000000) are refused with the model's own message.
    /// </summary>
    public static Module Create(string name, int? numClasses, int? inChannels, int seed = Zoo.DefaultSeed, float dropBlock = 0, bool aux = false)
    {
        Require(name, segmenters: true);
        try
        {
            if (IsVideo(name))
            {
                if (dropBlock > 0) throw new CliException($"{name} is a video network and has no DropBlock; leave out --drop-block.");
                return VideoZoo.Create(name, numClasses, inChannels ?? 3, seed);
            }
            if (Segmenters.IsSegmenter(name))
                return Segmenters.Create(name, numClasses ?? Segmenters.DefaultClasses, aux, inChannels: inChannels, seed: seed);
            var model = Zoo.Create(name, numClasses, inChannels, seed);
            model.DropBlockRate = dropBlock;
            return model;
        }
        catch (ArgumentException e) { throw new CliException($"{name} with {numClasses?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "its default"} classes and {inChannels?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "its default"} input channels cannot be built: {e.Message}"); }
    }

    /// <summary>The side of the square images a model is made for: what image folders are trained at unless --image-size says otherwise.</summary>
    public static int InputSize(string name) => IsVideo(name) ? VideoZoo.Entry(name).InputSize : Zoo.Entry(name).InputSize;
}
