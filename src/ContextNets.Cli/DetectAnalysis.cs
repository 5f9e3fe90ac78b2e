using ContextNets.Analysis;
using ContextNets.Data;
using ContextNets.Detection;
using ContextNets.Detection.Training;
using ContextNets.Detection.Transform;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet analyze RUN` for a detection run: its val images through the detector's backbone (resized, normalized and
/// padded by the detector's own transform), with the attention blocks of its body keeping their maps, into the same
/// report as a classifier's (<see cref="AnalysisReport"/>): do the GC pooling maps of a scene fall on its objects?
/// Each map's weight on the objects' pixels is measured against their share of the area (<see cref="RegionMass"/>).
/// A detection run has one checkpoint, `last`, whatever --checkpoint says.
/// </summary>
internal static class DetectAnalysis
{
    /// <summary>Images per forward pass: bounds the memory of the FPN levels and the kept maps.</summary>
    private const int BatchSize = 4;

    public static void Run(AnalyzeOptions o, CancellationToken cancel)
    {
        var (recipe, model, state) = DetectRecipe.LoadModel(o.Run);
        using (model)
        {
            AnalyzeCommand.RequireMaps(recipe.Model, model,
                "train a detector whose body has them, e.g. --model gc_maskrcnn_resnet50_fpn (GC in c3-c5) or maskrcnn_nlresnet50_fpn (NL in res4)");
            var val = recipe.OpenData().Val;
            var indices = AnalyzeCommand.Pick(o.Images, val.Count);
            var options = o with { Checkpoint = Trainer.Last };
            using var analysis = new AttentionAnalysis(model, o.Queries, Math.Min(o.Show, o.Images));
            foreach (var chunk in indices.Chunk(BatchSize))
            {
                if (cancel.IsCancellationRequested) throw new CliException("Interrupted; nothing was written.", ExitCodes.Interrupted);
                using var scope = Tensor.Scope();
                var examples = chunk.Select(i => val[i]).ToList();
                var (batch, sizes) = model.Transform.Apply([.. examples.Select(e => e.ToTensor())]);
                analysis.Add(batch, Pictures(batch), [.. examples.Select((e, k) => Objects(e.Target.Resized(sizes[k]), batch.Shape[2], batch.Shape[3]))]);
            }
            string data = recipe.Data == DetectData.Scenes ? $"the generated scenes (val, seed {recipe.Seed})" : $"the val images of {recipe.CocoAnnotations}";
            var report = new AnalysisReport(options, recipe.Model, state.Epoch, $"{data}, as the detector sees them ({recipe.ImageSize} px, padded to 32)", indices, analysis);
            report.Write();
            report.Print(Console.Out);
        }
    }

    /// <summary>The pixels of any object of <paramref name="target"/> (at its resized size) in the padded batch's <paramref name="height"/> x <paramref name="width"/>.</summary>
    private static bool[] Objects(DetectionTarget target, int height, int width)
    {
        var region = new bool[height * width];
        int plane = target.Height * target.Width;
        for (int g = 0; g < target.Count; g++)
            for (int y = 0; y < target.Height; y++)
                for (int x = 0; x < target.Width; x++)
                    if (target.Masks[g * plane + y * target.Width + x] != 0) region[y * width + x] = true;
        return region;
    }

    /// <summary>The detector's input batch as 8-bit pictures, the normalization undone (the padding shows as ImageNet's mean colour).</summary>
    private static Image8[] Pictures(Tensor batch)
    {
        var v = batch.ToArray();
        int n = batch.Shape[0], h = batch.Shape[2], w = batch.Shape[3], plane = h * w;
        var pictures = new Image8[n];
        for (int i = 0; i < n; i++)
        {
            var image = new Image8(w, h, 3);
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < plane; p++)
                {
                    float value = v[(i * 3 + c) * plane + p] * ImageTransform.Std[c] + ImageTransform.Mean[c];
                    image.Pixels[p * 3 + c] = (byte)Math.Clamp(Math.Round(value * 255), 0, 255);
                }
            pictures[i] = image;
        }
        return pictures;
    }
}
