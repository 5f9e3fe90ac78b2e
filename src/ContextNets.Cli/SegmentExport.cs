using ContextNets.Models.Segmentation;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet export` on a segmentation run folder or a segmenter's name: the graph gives the class scores [N, K, H, W]
/// at the input's size (`out`; the aux head is left out). Float32 only: the int8 and bf16 paths know the classifiers.
/// </summary>
internal static class SegmentExport
{
    /// <summary>The side exported for a segmenter's name when --image-size is not given (torchvision's segmenters are run near 512).</summary>
    public const int DefaultSide = 512;

    public static bool Owns(string what) => SegmentRun.Is(what) || Segmenters.IsSegmenter(what);

    public static ExportCommand.Loaded Load(string what, string checkpoint, string? weights, Precision precision)
    {
        if (precision != Precision.Fp32) throw new CliException($"Segmenters are exported in float32 only; leave out --precision {PrecisionChoice.Name(precision)}.");
        return SegmentRun.Is(what) ? FromRun(what, checkpoint) : FromName(what, weights);
    }

    private static ExportCommand.Loaded FromRun(string run, string checkpoint)
    {
        var (config, model, state) = SegmentRun.LoadModel(run, checkpoint);
        var metadata = new Dictionary<string, string>
        {
            ["model"] = config.Model,
            ["weights"] = $"{Path.GetFullPath(run)} checkpoint '{checkpoint}' (epoch {state.Epoch})",
            ["classes"] = string.Join(",", config.Classes),
            ["output"] = Output,
        };
        return new ExportCommand.Loaded(model, $"{config.Model} from {run} ('{checkpoint}', epoch {state.Epoch})", 3, config.Recipe.BaseSize, metadata,
            $"The input is RGB images resized to {config.Recipe.BaseSize} px and normalized with ImageNet's mean and std, as in training. {Output}.");
    }

    private static ExportCommand.Loaded FromName(string name, string? weights)
    {
        if (weights is not null)
        {
            var (net, _) = WeightsFile.Load(weights, name, WeightsDims.Classes(name, weights), segmenters: true);
            var fromFile = new Dictionary<string, string> { ["model"] = name, ["weights"] = Path.GetFullPath(weights), ["output"] = Output };
            return new ExportCommand.Loaded(net, $"{name} with the weights of {weights}", 3, DefaultSide, fromFile, $"{Output}.");
        }
        Engine.EnsureNative();
        var model = Segmenters.Create(name);
        var metadata = new Dictionary<string, string> { ["model"] = name, ["weights"] = "random initialization", ["output"] = Output };
        return new ExportCommand.Loaded(model, $"{name} with its random initialization (no trained weights), {Segmenters.DefaultClasses} classes", 3, DefaultSide, metadata,
            $"{Output}. The weights are the model's random initialization: the file shows the graph, its outputs mean nothing.");
    }

    private const string Output = "The output is the class scores [N, K, H, W] at the input's size (torchvision's `out`; the arg-max over K is the class map)";
}
