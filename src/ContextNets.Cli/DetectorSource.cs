using System.CommandLine;
using ContextNets.Detection;

namespace ContextNets.Cli;

/// <summary>
/// The detector `ctxnet detect` runs: a detection run folder's (its `last` checkpoint, its class names) or a detector
/// of the zoo by name with --weights (torchvision's keys; labels have no names then). Any other folder or name is
/// refused in one line that says what it is.
/// </summary>
internal sealed class DetectorSource : IDisposable
{
    private readonly string[] _classNames;

    private DetectorSource(MaskRcnn model, string name, string from, string[] classNames) =>
        (Model, ModelName, From, _classNames) = (model, name, from, classNames);

    public MaskRcnn Model { get; }

    /// <summary>The detector's name (maskrcnn_resnet18_fpn, ...).</summary>
    public string ModelName { get; }

    /// <summary>The run folder or the weights file.</summary>
    public string From { get; }

    /// <summary>The class name of a label, or its number when there is none.</summary>
    public string NameOf(long label) =>
        label > 0 && label < _classNames.Length ? _classNames[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether the labels have names (a run's classes).</summary>
    public bool HasNames => _classNames.Length > 0;

    /// <summary>The options that only a detector's name takes.</summary>
    public sealed class Options
    {
        public Option<string?> Weights { get; } = new("--weights") { Description = "For a detector's name: its weights (safetensors or .pth, torchvision's keys)." };
        public Option<int?> Classes { get; } = new("--classes") { Description = "For a detector's name: its classes with the background (default: read from the weights)." };
        public Option<int> MinSize { get; } = new("--min-size") { Description = "For a detector's name: the short image side after resizing (torchvision's min_size).", DefaultValueFactory = _ => 800 };
        public Option<int> MaxSize { get; } = new("--max-size") { Description = "For a detector's name: the longest image side after resizing (torchvision's max_size).", DefaultValueFactory = _ => 1333 };

        public IEnumerable<Option> All => [Weights, Classes, MinSize, MaxSize];
    }

    public static DetectorSource Open(string from, ParseResult p, Options o)
    {
        if (DetectEval.Owns(from))
        {
            var given = o.All.Where(x => p.GetResult(x) is { Implicit: false }).Select(x => x.Name).ToList();
            if (given.Count > 0) throw new CliException($"{from} is a detection run, which brings its own detector: leave out {string.Join(", ", given)}.");
            var (recipe, model, _) = DetectRecipe.LoadModel(from);
            return new DetectorSource(model, recipe.Model, from, recipe.ClassNames);
        }
        if (Directory.Exists(from))
        {
            string kind = TrainTasks.Owning(from)?.Name is { } task ? $"a run of ctxnet train --task {task}"
                : File.Exists(RunConfig.PathIn(from)) ? "a classification run" : "a folder";
            throw new CliException($"{from} is {kind}, not a detection run (it has no {DetectRecipe.FileName}): ctxnet detect takes a run of ctxnet train --task detect, or a detector's name with --weights.");
        }
        if (!DetectionZoo.Contains(from))
            throw new CliException($"'{from}' is neither a detection run folder nor a detector: use a run of ctxnet train --task detect, or one of {string.Join(", ", DetectionZoo.Names.Take(4))}, ... (ctxnet models) with --weights.");
        string weights = p.GetValue(o.Weights) ?? throw new CliException($"Detecting with {from} needs its --weights (a random network detects nothing).");
        if (!File.Exists(weights)) throw new CliException($"The weights file {weights} does not exist.");
        var detector = DetectorRun.Load(from, weights, p.GetValue(o.Classes), p.GetValue(o.MinSize), p.GetValue(o.MaxSize));
        return new DetectorSource(detector, from, weights, []);
    }

    public void Dispose() => Model.Dispose();
}
