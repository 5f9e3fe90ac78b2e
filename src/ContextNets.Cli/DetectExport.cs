using System.CommandLine;
using System.Globalization;
using ContextNets.Detection;
using ContextNets.Export;
using ContextNets.Export.Detection;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet export` of a detector: a detection run folder (its `last` checkpoint) or a detector's name, with --weights
/// or its random initialization. The graph takes one image `x` [3, H, W] in [0, 1] of a size fixed here (--input-size
/// HxW or --image-size S; default the run's image size, or the detector's min size squared) and gives `boxes`,
/// `scores`, `labels` and `masks` as `ctxnet run` does (<see cref="DetectorOnnxExport"/>). Float32, batch 1.
/// </summary>
internal static class DetectExport
{
    /// <summary>The classes of a detector exported by name without weights: torchvision's COCO detectors' 91.</summary>
    private const int DefaultClasses = 91;

    public static Option<string?> InputSizeOption { get; } = new("--input-size")
    {
        Description = "For a detector: the input image's size HxW the graph is made for (default: the run's image size, or the detector's min size, square).",
    };

    public static bool Owns(string what) => DetectEval.Owns(what) || DetectionZoo.Contains(what);

    /// <summary>--input-size is a detector's: refused for any other model or run.</summary>
    public static void RefuseInputSize(ParseResult p, string what)
    {
        if (p.GetValue(InputSizeOption) is not null) throw new CliException($"--input-size HxW is for detectors; {what} is not one (use --image-size S).");
    }

    /// <summary>The largest input side: the masks output is [N, 1, H, W] floats, and nothing larger is an image here.</summary>
    private const int MaxSide = 8192;

    /// <summary>Writes the detector's graph and reports it; everything it cannot do is refused before anything is written.</summary>
    public static int Export(ParseResult p, string what, string path, string? weights, int opset, int? imageSize, bool dynamicBatch, Precision precision)
    {
        if (dynamicBatch) throw new CliException("A detector's graph takes one image [3, H, W]; --dynamic-batch does not apply.");
        if (precision != Precision.Fp32) throw new CliException($"Detectors are exported in float32 only; leave out --precision {PrecisionChoice.Name(precision)}.");
        string? inputSize = p.GetValue(InputSizeOption);
        if (inputSize is not null && imageSize is not null) throw new CliException("Give the detector's input size once: --input-size HxW or --image-size S.");
        (int h, int w)? given = inputSize is not null ? ParseSize(inputSize) : imageSize is { } side ? (side, side) : null;
        if (given is (int gh, int gw) && (gh is < 1 or > MaxSide || gw is < 1 or > MaxSide))
            throw new CliException($"The input size {gh}x{gw} must be positive and at most {MaxSide} per side.");
        var (model, description, metadata, note) = DetectEval.Owns(what) ? FromRun(what) : FromName(what, weights);
        using (model)
        {
            var (height, width) = given ?? (model.Settings.MinSize, model.Settings.MinSize);
            metadata["input"] = string.Create(CultureInfo.InvariantCulture, $"x [3, {height}, {width}] in [0, 1]");
            metadata["outputs"] = "boxes [N, 4] (x1, y1, x2, y2 in the input's pixels), scores [N], labels [N] (int64, 1.., 0 being the background), masks [N, 1, H, W] (probabilities)";
            DetectorOnnxSummary summary;
            try
            {
                summary = model.ExportOnnx(path, new DetectorOnnxOptions { Height = height, Width = width, Opset = opset, Metadata = metadata });
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw new CliException(e.Message);
            }
            var ops = string.Join(", ", summary.OpCounts.OrderByDescending(o => o.Value).ThenBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));
            Console.WriteLine($"Wrote {path}: {description}.");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  opset {summary.Opset} (IR {summary.IrVersion}), input x [3, {height}, {width}] (resized to {summary.Resized.h}x{summary.Resized.w}, padded to {summary.Padded.h}x{summary.Padded.w}) -> boxes, scores, labels, masks [N, 1, {height}, {width}], {summary.FileBytes / 1048576.0:F1} MiB"));
            Console.WriteLine($"  {summary.Nodes} nodes: {ops}");
            if (note is not null) Console.WriteLine(note);
        }
        return 0;
    }

    private static (MaskRcnn model, string description, Dictionary<string, string> metadata, string? note) FromRun(string run)
    {
        var (recipe, model, state) = DetectRecipe.LoadModel(run);
        var metadata = new Dictionary<string, string>
        {
            ["task"] = "detect",
            ["model"] = recipe.Model,
            ["weights"] = $"{Path.GetFullPath(run)} checkpoint 'last' (epoch {state.Epoch})",
            ["classes"] = string.Join(",", recipe.ClassNames),
        };
        return (model, $"{recipe.Model} from {run} ('last', epoch {state.Epoch})", metadata, null);
    }

    private static (MaskRcnn model, string description, Dictionary<string, string> metadata, string? note) FromName(string name, string? weights)
    {
        if (weights is not null)
        {
            if (!File.Exists(weights)) throw new CliException($"The weights file {weights} does not exist.");
            var loaded = DetectorRun.Load(name, weights, null, 800, 1333);
            return (loaded, $"{name} with the weights of {weights}", new() { ["task"] = "detect", ["model"] = name, ["weights"] = Path.GetFullPath(weights) }, null);
        }
        Engine.EnsureNative();
        var model = DetectionZoo.Create(name, DefaultClasses);
        model.Eval();
        return (model, $"{name} with its random initialization (no trained weights), {DefaultClasses} classes",
            new() { ["task"] = "detect", ["model"] = name, ["weights"] = "random initialization" },
            "The weights are the detector's random initialization: the file shows the graph, its outputs mean nothing.");
    }

    private static (int h, int w) ParseSize(string text)
    {
        var parts = text.Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            ? (h, w)
            : throw new CliException($"--input-size takes HxW (for example 480x640), not '{text}'.");
    }
}
