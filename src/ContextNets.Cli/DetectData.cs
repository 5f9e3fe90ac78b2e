using ContextNets.Data;
using ContextNets.Data.Detection;
using ContextNets.Data.Scenes;

namespace ContextNets.Cli;

/// <summary>
/// The data of a detection run: the generated scenes (`--data scenes`, the default: train scenes paste Fashion-MNIST's
/// training images, val scenes its test images, from $CTXNET_FASHION_MNIST when set), or a COCO-format set (`--data coco:ANNOTATIONS.json:IMAGEDIR`, an
/// instances JSON and the folder its file names are relative to) split into training and validation images by
/// <see cref="DetectionSplit"/> with --det-val-split.
/// </summary>
internal static class DetectData
{
    public const string Scenes = "scenes", Coco = "coco";
    public const string CocoSyntax = "coco:ANNOTATIONS.json:IMAGEDIR";
    private const string CocoPrefix = Coco + ":";

    /// <summary>The recipe with the data of --data <paramref name="data"/> (null: the scenes); COCO's paths are made full, so that the run folder works from anywhere.</summary>
    public static DetectRecipe Apply(DetectRecipe recipe, string? data)
    {
        if (data is null or Scenes) return recipe with { Data = Scenes };
        if (!data.StartsWith(CocoPrefix, StringComparison.Ordinal))
            throw new CliException($"--task detect trains on --data {Scenes} (the generated scenes) or --data {CocoSyntax}, not '{data}'.");
        var paths = data[CocoPrefix.Length..].Split(':');
        if (paths.Length != 2 || paths.Any(p => p.Length == 0))
            throw new CliException($"--data {data}: write {CocoSyntax}, two paths without ':' in them.");
        return recipe with { Data = Coco, CocoAnnotations = Path.GetFullPath(paths[0]), CocoImages = Path.GetFullPath(paths[1]) };
    }

    /// <summary>
    /// The training and validation sets of <paramref name="recipe"/>. A COCO file is read and checked whole here (a
    /// malformed one, a missing image file: one line, <see cref="InvalidDataException"/>), and its categories must be
    /// the recipe's classes when the recipe names any other than the scenes' (a resumed run).
    /// </summary>
    public static (IDetectionSet Train, IDetectionSet Val) Open(DetectRecipe recipe)
    {
        if (recipe.Data == Scenes)
        {
            string? root = Environment.GetEnvironmentVariable(RunData.FashionMnistVariable) is { Length: > 0 } r ? r : null;
            return (new SceneDetectionSet(SceneSet.Load(Split.Train, recipe.TrainScenes, unchecked((int)recipe.Seed), root)),
                new SceneDetectionSet(SceneSet.Load(Split.Test, recipe.ValScenes, unchecked((int)recipe.Seed), root)));
        }
        if (recipe.Data != Coco || recipe.CocoAnnotations is not { } annotations || recipe.CocoImages is not { } images)
            throw new CliException($"Detection data '{recipe.Data}' is not known: a run trains on {Scenes} or {CocoSyntax}.");
        var set = CocoDetectionSet.Open(annotations, images);
        if (set.Count < 2) throw new CliException($"{annotations} lists {set.Count} image: training and validation need two at least.");
        return DetectionSplit.Split(set, recipe.ValFraction, recipe.Seed);
    }
}
