using System.Diagnostics;
using System.Globalization;
using ContextNets.Training.Segmentation;

namespace ContextNets.Cli;

/// <summary>`ctxnet eval RUN` on a segmentation run: mIoU, pixel accuracy and each class's IoU on its val set.</summary>
internal static class SegmentEval
{
    public static int Run(string run, string checkpoint)
    {
        var (config, model, state) = SegmentRun.LoadModel(run, checkpoint);
        using (model)
        {
            var (_, val) = config.OpenData();
            var clock = Stopwatch.StartNew();
            var score = SegmentationTrainer.Evaluate(model, val, config.Recipe.BaseSize, config.Recipe.BatchSize);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{config.Model}, checkpoint '{checkpoint}' (epoch {state.Epoch}), on {val.Count} val images at {config.Recipe.BaseSize} px: mIoU {100 * score.MeanIoU:F2}%, pixel accuracy {100 * score.PixelAccuracy:F2}% ({val.Count / clock.Elapsed.TotalSeconds:F1} img/s)"));
            for (int c = 0; c < score.ClassIoU.Length; c++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {config.Classes[c],-14} IoU {(double.IsNaN(score.ClassIoU[c]) ? "   - (absent)" : $"{100 * score.ClassIoU[c],6:F2}%")}"));
        }
        return 0;
    }
}
