using ContextNets.Analysis;
using ContextNets.Data.Segmentation;
using ContextNets.Data.Transforms;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet analyze RUN` on a segmentation run: the run's segmenter sees N of its val images (generated scenes or
/// its folder's val split) at its base size with its attention kept, and the report folder gets what a classifier's
/// gets (<see cref="AnalysisReport"/>): for the criss-cross module of a CCNet head, its row-and-column attention from
/// query points drawn over the scene; for GC blocks of the body, their pooling maps over the scene; stats.json and report.md.
/// </summary>
internal static class SegmentAnalysis
{
    /// <summary>Images per forward pass: bounds the memory of the attention maps at the base size.</summary>
    private const int BatchSize = 4;

    public static void Run(AnalyzeOptions o, CancellationToken cancel)
    {
        var (config, model, state) = SegmentRun.LoadModel(o.Run, o.Checkpoint);
        using (model)
        {
            var blocks = AttentionBlocks.Find(model);
            if (!blocks.Any(b => b.HasMap))
                throw new CliException($"{config.Model} has no attention map to analyze: ctxnet analyze needs a ccnet_ head (criss-cross attention) or a body with {AttentionBlocks.Needed}, e.g. ccnet_resnet18 or fcn_gcresnet50.");
            var (_, val) = config.OpenData();
            if (o.Images > val.Count) throw new CliException($"--images {o.Images} is more than the {val.Count} val images of the run's data.");
            int[] indices = [.. Enumerable.Range(0, o.Images).Select(i => (int)((long)i * val.Count / o.Images))];
            int side = config.Recipe.BaseSize;
            using var analysis = new AttentionAnalysis(model, o.Queries, Math.Min(o.Show, o.Images));
            foreach (var chunk in indices.Chunk(BatchSize))
            {
                if (cancel.IsCancellationRequested) throw new CliException("Interrupted; nothing was written.", ExitCodes.Interrupted);
                var views = chunk.Select(i => SegmentationAugment.ToSide(val[i], side)).ToList();
                using var scope = Tensor.Scope();
                var (images, _) = SegmentationBatch.Make(views, Normalize.ImageNet);
                analysis.Add(images, [.. views.Select(v => v.Image)]);
            }
            string data = config.Data == SegmentRun.ScenesName ? $"{val.Count} generated val scenes at {side} px" : $"the val split of {config.Data} at {side} px";
            var report = new AnalysisReport(o, config.Model, state.Epoch, data, indices, analysis);
            report.Write();
            report.Print(Console.Out);
        }
    }
}
