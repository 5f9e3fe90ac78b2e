using System.CommandLine;
using ContextNets.Data.Segmentation;
using ContextNets.Training.Segmentation;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet train --task segment --data DIR`: a folder of images and PNG label maps with its class list
/// (<see cref="LabelMapFolder"/>), split into train/ and val/. The run records the folder's full path and its classes;
/// resuming or evaluating the run opens the folder again and refuses it if its class list has changed.
/// </summary>
internal static class SegmentFolderData
{
    public const string TrainSplit = "train", ValSplit = "val";

    /// <summary>The run's config and data for the folder <paramref name="dir"/>; the scene-count options do not apply to a folder and are refused.</summary>
    public static (SegmentRun Config, (ISegmentationSet Train, ISegmentationSet Val) Data) Configure(string dir, string model, SegmentationRecipe recipe,
        IReadOnlyList<Option> sceneOptions, ParseResult p)
    {
        if (!Directory.Exists(dir))
            throw new CliException($"--data for --task segment is '{SegmentRun.ScenesName}' (the generated scenes) or a folder with {LabelMapFolder.ClassFile}, train/ and val/; '{dir}' is neither.");
        var given = sceneOptions.Where(o => p.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (given.Count > 0) throw new CliException($"{string.Join(" and ", given)} count generated scenes; with --data {dir} the folder's images are used.");
        string root = Path.GetFullPath(dir);
        var classes = LabelMapFolder.ReadClasses(root);
        var data = Open(root, classes);
        var config = new SegmentRun { Model = model, Data = root, TrainScenes = data.Train.Count, ValScenes = data.Val.Count, Classes = classes, Recipe = recipe };
        return (config, data);
    }

    /// <summary>Both splits of the folder at <paramref name="root"/>, checked against the <paramref name="classes"/> the run was made with.</summary>
    public static (ISegmentationSet Train, ISegmentationSet Val) Open(string root, IReadOnlyList<string> classes)
    {
        var now = LabelMapFolder.ReadClasses(root);
        if (!now.SequenceEqual(classes, StringComparer.Ordinal))
            throw new CliException($"{Path.Combine(root, LabelMapFolder.ClassFile)} has changed since the run was made: it names {now.Length} classes, the run {classes.Count} ({string.Join(", ", classes.Take(4))}...).");
        return (new LabelMapFolder(root, TrainSplit, classes), new LabelMapFolder(root, ValSplit, classes));
    }
}
