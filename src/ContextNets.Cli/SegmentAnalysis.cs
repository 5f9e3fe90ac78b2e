using System.CommandLine;
using ContextNets.Analysis;
using ContextNets.Data.Segmentation;
using ContextNets.Data.Transforms;
using ContextNets.Models.Segmentation;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet analyze RUN` on a segmentation run: the run's segmenter sees N of its val images (generated scenes or
/// its folder's val split) at its base size with its attention kept, and the report folder gets what a classifier's
/// gets (<see cref="AnalysisReport"/>): for the criss-cross module of a CCNet head, its row-and-column attention from
/// query points drawn over the scene; for GC blocks of the body, their pooling maps over the scene; stats.json and report.md.
/// `ctxnet analyze MODEL --weights W` does the same for a segmenter given by its name and weights, on the first N
/// generated val scenes at --size.
/// </summary>
internal static class SegmentAnalysis
{
    /// <summary>Images per forward pass: bounds the memory of the attention maps at the base size.</summary>
    private const int BatchSize = 4;

    private static readonly Option<string?> WeightsOpt = new("--weights") { Description = "For a segmenter's name instead of RUN: its weights (safetensors or .pth, torchvision's keys); it sees the generated val scenes." };
    private static readonly Option<int> ClassesOpt = new("--classes") { Description = "For a segmenter's name: its class count.", DefaultValueFactory = _ => Segmenters.DefaultClasses };
    private static readonly Option<int> SizeOpt = new("--size") { Description = "For a segmenter's name: the side the scenes are resized to.", DefaultValueFactory = _ => new Data.Scenes.SceneOptions().Size };

    /// <summary>The options only a segmenter's name reads.</summary>
    public static IReadOnlyList<Option> NamedOptions => [WeightsOpt, ClassesOpt, SizeOpt];

    /// <summary>Whether RUN names a segmenter rather than a folder; the named options are refused with a folder.</summary>
    public static bool IsNamed(ParseResult p, string run)
    {
        if (!Directory.Exists(run) && Segmenters.IsSegmenter(run)) return true;
        if (NamedOptions.Any(o => p.GetResult(o) is { Implicit: false }))
            throw new CliException("--weights, --classes and --size are for a segmenter given by its name; a run folder analyzes its own checkpoint.");
        return false;
    }

    public static void Run(AnalyzeOptions o, CancellationToken cancel)
    {
        var (config, model, state) = SegmentRun.LoadModel(o.Run, o.Checkpoint);
        using (model)
        {
            RequireMaps(config.Model, model);
            var (_, val) = config.OpenData();
            if (o.Images > val.Count) throw new CliException($"--images {o.Images} is more than the {val.Count} val images of the run's data.");
            int side = config.Recipe.BaseSize;
            string data = config.Data == SegmentRun.ScenesName ? $"{val.Count} generated val scenes at {side} px" : $"the val split of {config.Data} at {side} px";
            Analyze(o, model, val, side, (indices, analysis) => new AnalysisReport(o, config.Model, state.Epoch, data, indices, analysis), cancel);
        }
    }

    /// <summary>The report goes to --out, or to MODEL-analysis: there is no run folder to hold it.</summary>
    public static void RunNamed(AnalyzeOptions options, ParseResult p, CancellationToken cancel)
    {
        var o = options with { Out = options.Out ?? $"{options.Run}-analysis" };
        string? weights = p.GetValue(WeightsOpt);
        var (model, side) = SegmentCommand.FromWeights(o.Run, weights, p.GetValue(ClassesOpt), p.GetValue(SizeOpt));
        using (model)
        {
            RequireMaps(o.Run, model);
            var val = SegmentRun.ValSceneSet(o.Images);
            string data = $"the first {val.Count} generated val scenes at {side} px";
            Analyze(o, model, val, side, (indices, analysis) => new AnalysisReport(o, o.Run, 0, data, indices, analysis, weights), cancel);
        }
    }

    private static void RequireMaps(string name, Segmenter model)
    {
        if (!AttentionBlocks.Find(model).Any(b => b.HasMap))
            throw new CliException($"{name} has no attention map to analyze: ctxnet analyze needs a ccnet_ head (criss-cross attention) or a body with {AttentionBlocks.Needed}, e.g. ccnet_resnet18 or fcn_gcresnet50.");
    }

    /// <summary>N of <paramref name="val"/>'s images, spread evenly, through the segmenter with its attention kept; then the report.</summary>
    private static void Analyze(AnalyzeOptions o, Segmenter model, ISegmentationSet val, int side,
        Func<int[], AttentionAnalysis, AnalysisReport> report, CancellationToken cancel)
    {
        int[] indices = [.. Enumerable.Range(0, o.Images).Select(i => (int)((long)i * val.Count / o.Images))];
        using var analysis = new AttentionAnalysis(model, o.Queries, Math.Min(o.Show, o.Images));
        foreach (var chunk in indices.Chunk(BatchSize))
        {
            if (cancel.IsCancellationRequested) throw new CliException("Interrupted; nothing was written.", ExitCodes.Interrupted);
            var views = chunk.Select(i => SegmentationAugment.ToSide(val[i], side)).ToList();
            using var scope = Tensor.Scope();
            var (images, _) = SegmentationBatch.Make(views, Normalize.ImageNet);
            analysis.Add(images, [.. views.Select(v => v.Image)]);
        }
        var written = report(indices, analysis);
        written.Write();
        written.Print(Console.Out);
    }
}
