using ContextNets.Data.Detection;
using ContextNets.Detection;
using ContextNets.Detection.Boxes;
using ContextNets.Detection.Evaluation;

namespace ContextNets.Training;

/// <summary>Box and mask mAP (COCO style) of a detector on a detection set.</summary>
public sealed record DetectionScores(CocoSummary Box, CocoSummary Mask, int Images, double Seconds);

/// <summary>
/// Runs a detector over the first images of a set and scores it as pycocotools would (<see cref="CocoEvaluator"/>):
/// boxes by box IoU, masks (cut at 0.5, pasted at the image's size) by mask IoU, each ground truth's area its mask's
/// pixel count, as COCO's annotation area.
/// </summary>
public static class DetectionEvaluation
{
    public static DetectionScores Evaluate(MaskRcnn model, IDetectionSet set, int? count = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        int n = Math.Min(count ?? set.Count, set.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var truths = new List<Instance>();
        var truthBoxes = new List<float[]>();
        var truthMasks = new List<byte[]>();
        var boxDetections = new List<Instance>();
        var maskDetections = new List<Instance>();
        var detBoxes = new List<float[]>();
        var detMasks = new List<byte[]>();
        model.Eval();
        for (int i = 0; i < n; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var example = set[i];
            var t = example.Target;
            int plane = t.Height * t.Width;
            for (int k = 0; k < t.Count; k++)
            {
                var mask = t.Masks[(k * plane)..((k + 1) * plane)];
                truths.Add(new Instance(i, t.Labels[k], mask.Count(v => v != 0), 0, truths.Count));
                truthBoxes.Add(t.Boxes[(4 * k)..(4 * k + 4)]);
                truthMasks.Add(mask);
            }
            using var image = example.ToTensor();
            var d = model.Detect([image])[0];
            for (int k = 0; k < d.Count; k++)
            {
                var box = d.Boxes[(4 * k)..(4 * k + 4)];
                var mask = d.Masks.AsSpan(k * plane, plane).ToArray().Select(p => p > 0.5f ? (byte)1 : (byte)0).ToArray();
                boxDetections.Add(new Instance(i, (int)d.Labels[k], BoxOps.Area(box, 0), d.Scores[k], detBoxes.Count));
                maskDetections.Add(new Instance(i, (int)d.Labels[k], mask.Count(v => v != 0), d.Scores[k], detMasks.Count));
                detBoxes.Add(box);
                detMasks.Add(mask);
            }
        }
        var boxScores = CocoEvaluator.Evaluate(truths, boxDetections, (det, gt) => BoxOps.Iou(detBoxes[det], 0, truthBoxes[gt], 0));
        var maskScores = CocoEvaluator.Evaluate(truths, maskDetections, (det, gt) => MaskIou(detMasks[det], truthMasks[gt]));
        return new DetectionScores(boxScores, maskScores, n, clock.Elapsed.TotalSeconds);
    }

    private static double MaskIou(byte[] a, byte[] b)
    {
        int both = 0, either = 0;
        for (int p = 0; p < a.Length; p++)
        {
            both += a[p] & b[p];
            either += a[p] | b[p];
        }
        return either == 0 ? 0 : (double)both / either;
    }
}
