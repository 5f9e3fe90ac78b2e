using System.CommandLine;
using ContextNets.Analysis;
using ContextNets.Data;
using ContextNets.Data.Transforms;
using ContextNets.IO;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet analyze RUN`: GCNet's measurement on a trained run. The model sees N test images with its attention
/// kept; the report folder gets a heat-map PNG per NL/SNL/GC block, stats.json and report.md.
/// </summary>
internal static class AnalyzeCommand
{
    public const int DefaultImages = 16, DefaultQueries = 4, DefaultShow = 4;

    /// <summary>Images per forward pass: bounds the memory of large attention maps.</summary>
    private const int BatchSize = 8;

    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder made by ctxnet train, of a model with NL, SNL or GC blocks (or a segmenter's name with --weights)." };
        var images = new Option<int>("--images", "-n") { Description = "Test images to average the statistics over (spread evenly over the test set).", DefaultValueFactory = _ => DefaultImages };
        var queries = new Option<int>("--queries", "-k") { Description = $"Query points drawn per NL block, 1 to {Markers.Count} (a regular grid over the map).", DefaultValueFactory = _ => DefaultQueries };
        var show = new Option<int>("--show") { Description = "How many of the images the heat maps draw, one row each.", DefaultValueFactory = _ => DefaultShow };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best or last.", DefaultValueFactory = _ => Trainer.Best };
        var outDir = new Option<string?>("--out", "-o") { Description = "The report folder (default RUN/analysis)." };
        var command = new Command("analyze", "Attention maps and GCNet's distance statistics of a run's NL, SNL and GC blocks: heat maps, stats.json and report.md.")
        {
            run, images, queries, show, checkpoint, outDir,
        };
        foreach (var option in SegmentAnalysis.NamedOptions) command.Options.Add(option);
        command.SetAction(p =>
        {
            var options = new AnalyzeOptions(p.GetValue(run)!, p.GetValue(images), p.GetValue(queries), p.GetValue(show), p.GetValue(checkpoint)!, p.GetValue(outDir));
            options.Check();
            using var interrupt = Interrupt.Install();
            if (SegmentAnalysis.IsNamed(p, options.Run)) SegmentAnalysis.RunNamed(options, p, interrupt.Token);
            else if (VideoRunConfig.IsIn(options.Run)) VideoAnalysis.Run(options, interrupt.Token);
            else if (SegmentRun.Is(options.Run)) SegmentAnalysis.Run(options, interrupt.Token);
            else if (DetectEval.Owns(options.Run)) DetectAnalysis.Run(options, interrupt.Token);
            else Run(options, interrupt.Token);
            return 0;
        });
        return command;
    }

    private static void Run(AnalyzeOptions o, CancellationToken cancel)
    {
        var (config, model, state) = RunModel.Load(o.Run, o.Checkpoint);
        using (model)
        {
            RequireMaps(config.Model, model, "train nl_resnet20, nl_gaussian_resnet20, snl_resnet20 or gc_resnet20 for it");
            var data = RunData.Of(config);
            var indices = Pick(o.Images, data.Test.Count);
            var transform = data.EvalTransform();
            using var loader = new DataLoader(new Subset(data.Test, indices), transform, data.Normalize, new LoaderOptions { BatchSize = BatchSize, Shuffle = false });
            using var analysis = new AttentionAnalysis(model, o.Queries, Math.Min(o.Show, o.Images));
            for (int b = 0; b < loader.BatchCount; b++)
            {
                if (cancel.IsCancellationRequested) throw new CliException("Interrupted; nothing was written.", ExitCodes.Interrupted);
                using var batch = loader.MakeBatch(0, b);
                analysis.Add(batch.Images, [.. batch.Indices.Select(i => Display(data.Test, indices[i], transform))]);
            }
            var report = new AnalysisReport(o, config.Model, state.Epoch, data.Description, indices, analysis);
            report.Write();
            report.Print(Console.Out);
        }
    }

    /// <summary>A model with no attention map is refused before any data is read or anything written.</summary>
    internal static void RequireMaps(string name, Module model, string hint)
    {
        var blocks = AttentionBlocks.Find(model);
        if (blocks.Any(b => b.HasMap)) return;
        string has = blocks.Count == 0
            ? "no attention block at all"
            : $"only {string.Join(", ", blocks.GroupBy(b => b.Type).Select(g => $"{g.Count()} {g.Key} block{(g.Count() > 1 ? "s" : "")}"))}, which weight channels and have no spatial attention map";
        throw new CliException($"{name} has {has}. ctxnet analyze needs {AttentionBlocks.Needed}: {hint}.");
    }

    /// <summary>N test indices spread evenly over the test set (i * count / N): deterministic, and across its classes.</summary>
    internal static int[] Pick(int n, int count)
    {
        if (n > count) throw new CliException($"--images {n} is more than the {count} test images of the run's data.");
        return [.. Enumerable.Range(0, n).Select(i => (int)((long)i * count / n))];
    }

    /// <summary>The test image as the model sees it (the evaluation resize and crop, which draw nothing at random), before normalization.</summary>
    private static Image8 Display(IDataset test, int index, IImageTransform? transform)
    {
        var image = test.Image(index);
        return transform?.Apply(image, new Rng(0)) ?? image;
    }
}

/// <summary>The options of ctxnet analyze, checked before anything is loaded.</summary>
internal sealed record AnalyzeOptions(string Run, int Images, int Queries, int Show, string Checkpoint, string? Out)
{
    public string OutDir => Out ?? Path.Combine(Run, "analysis");

    public void Check()
    {
        if (Images < 1) throw new CliException($"--images must be at least 1, not {Images}.");
        if (Queries < 1 || Queries > Markers.Count) throw new CliException($"--queries must be between 1 and {Markers.Count} (one marker colour each), not {Queries}.");
        if (Show < 1) throw new CliException($"--show must be at least 1, not {Show}.");
    }
}
