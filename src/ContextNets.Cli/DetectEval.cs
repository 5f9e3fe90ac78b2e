using System.Globalization;
using ContextNets.Detection.Evaluation;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>`ctxnet eval RUN` for a detection run: box and mask mAP of its last checkpoint on its val images.</summary>
internal static class DetectEval
{
    public static bool Owns(string run) => File.Exists(Path.Combine(run, DetectRecipe.FileName));

    public static int Run(string dir, CancellationToken cancel)
    {
        var (recipe, model, state) = DetectRecipe.LoadModel(dir);
        using (model)
        {
            var scores = DetectionEvaluation.Evaluate(model, recipe.OpenData().Val, cancel: cancel);
            Console.WriteLine($"{recipe.Model}, checkpoint 'last' (epoch {state.Epoch}), on {scores.Images} val images ({scores.Images / scores.Seconds:F1} img/s):");
            Console.WriteLine($"  {Describe(scores)}");
        }
        return 0;
    }

    public static string Describe(DetectionScores s) => $"box {Row(s.Box)}; mask {Row(s.Mask)}";

    private static string Row(CocoSummary c) => string.Create(CultureInfo.InvariantCulture,
        $"AP {100 * c.AP:F1}, AP50 {100 * c.AP50:F1}, AP75 {100 * c.AP75:F1}, S/M/L {Pct(c.APSmall)}/{Pct(c.APMedium)}/{Pct(c.APLarge)}");

    /// <summary>COCO prints -1 where there was nothing to average (no object of that size).</summary>
    private static string Pct(double v) => v < 0 ? "-" : (100 * v).ToString("F1", CultureInfo.InvariantCulture);
}
