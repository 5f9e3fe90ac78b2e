namespace ContextNets.Detection.Evaluation;

/// <summary>One object of an image: its class, its area (box or mask), and for detections a score; Index names it for the IoU function.</summary>
public readonly record struct Instance(int Image, int Category, float Area, float Score, int Index, bool Crowd = false);

/// <summary>The COCO summary numbers (pycocotools' stats 0-5): AP over IoU .50:.05:.95, at .50, at .75, and by area.</summary>
public sealed record CocoSummary(double AP, double AP50, double AP75, double APSmall, double APMedium, double APLarge);

/// <summary>
/// COCO-style average precision as pycocotools' COCOeval computes it: per image and category, detections by
/// descending score (at most 100) matched greedily to the best unmatched ground truth at each IoU threshold
/// .50:.05:.95, ground truth outside the area range or crowd ignored; precision made monotone and read at 101
/// recall points; the mean over categories with ground truth. A mean with nothing to average is -1, as COCO prints it.
/// Boxes and masks differ only in the IoU and the areas given.
/// </summary>
public static class CocoEvaluator
{
    private static readonly double[] IouThresholds = [.. Enumerable.Range(0, 10).Select(i => 0.5 + 0.05 * i)];
    private static readonly (double low, double high)[] AreaRanges = [(0, 1e10), (0, 32 * 32), (32 * 32, 96 * 96), (96 * 96, 1e10)];
    public const int MaxDetections = 100;

    /// <summary>
    /// The summary for ground truths and detections; <paramref name="iou"/>(detection index, ground-truth index) gives
    /// the overlap of two instances of one image (box or mask IoU; a crowd ground truth's is the detection's share in it).
    /// </summary>
    public static CocoSummary Evaluate(IReadOnlyList<Instance> truths, IReadOnlyList<Instance> detections, Func<int, int, double> iou)
    {
        var categories = truths.Select(t => t.Category).Concat(detections.Select(d => d.Category)).Distinct().ToArray();
        var precision = new double[IouThresholds.Length, AreaRanges.Length][];
        for (int t = 0; t < IouThresholds.Length; t++)
            for (int a = 0; a < AreaRanges.Length; a++)
                precision[t, a] = [.. categories.Select(c => Precision(truths, detections, iou, c, t, AreaRanges[a]))];
        double Mean(IEnumerable<int> ts, int area)
        {
            var values = ts.SelectMany(t => precision[t, area]).Where(v => v > -1).ToList();
            return values.Count == 0 ? -1 : values.Average();
        }
        var all = Enumerable.Range(0, IouThresholds.Length).ToArray();
        return new CocoSummary(Mean(all, 0), Mean([0], 0), Mean([5], 0), Mean(all, 1), Mean(all, 2), Mean(all, 3));
    }

    /// <summary>The 101-point interpolated precision of one category at one IoU threshold and area range; -1 without ground truth.</summary>
    private static double Precision(IReadOnlyList<Instance> truths, IReadOnlyList<Instance> detections, Func<int, int, double> iou,
        int category, int threshold, (double low, double high) area)
    {
        var scored = new List<(float score, bool matched)>();
        int counted = 0;
        foreach (int image in truths.Select(t => t.Image).Concat(detections.Select(d => d.Image)).Distinct())
        {
            var gts = truths.Where(t => t.Image == image && t.Category == category)
                .Select(t => (t, ignore: t.Crowd || t.Area < area.low || t.Area > area.high))
                .OrderBy(g => g.ignore).ToList();
            var dts = detections.Where(d => d.Image == image && d.Category == category)
                .OrderByDescending(d => d.Score).Take(MaxDetections).ToList();
            counted += gts.Count(g => !g.ignore);
            var taken = new bool[gts.Count];
            foreach (var d in dts)
            {
                int match = Match(d, gts, taken, iou, IouThresholds[threshold]);
                if (match >= 0 && !gts[match].t.Crowd) taken[match] = true;
                bool ignored = match >= 0 ? gts[match].ignore : d.Area < area.low || d.Area > area.high;
                if (!ignored) scored.Add((d.Score, match >= 0));
            }
        }
        if (counted == 0) return -1;
        // A stable sort by descending score across images, as COCOeval's mergesort.
        var ordered = scored.Select((s, i) => (s, i)).OrderByDescending(x => x.s.score).ThenBy(x => x.i).Select(x => x.s.matched).ToList();
        var recall = new double[ordered.Count];
        var prec = new double[ordered.Count];
        int tp = 0, fp = 0;
        for (int i = 0; i < ordered.Count; i++)
        {
            if (ordered[i]) tp++;
            else fp++;
            recall[i] = (double)tp / counted;
            prec[i] = (double)tp / (tp + fp);
        }
        for (int i = prec.Length - 1; i > 0; i--) prec[i - 1] = Math.Max(prec[i - 1], prec[i]);
        double sum = 0;
        for (int r = 0; r <= 100; r++)
        {
            int at = Array.FindIndex(recall, v => v >= r / 100.0);
            sum += at >= 0 ? prec[at] : 0;
        }
        return sum / 101;
    }

    /// <summary>COCOeval's greedy match: the best unmatched ground truth at IoU ≥ the threshold, ignored ones only if no other fits.</summary>
    private static int Match(Instance d, List<(Instance t, bool ignore)> gts, bool[] taken, Func<int, int, double> iou, double threshold)
    {
        double best = Math.Min(threshold, 1 - 1e-10);
        int match = -1;
        for (int g = 0; g < gts.Count; g++)
        {
            if (taken[g] && !gts[g].t.Crowd) continue;
            if (match > -1 && !gts[match].ignore && gts[g].ignore) break;
            double overlap = iou(d.Index, gts[g].t.Index);
            if (overlap < best) continue;
            best = overlap;
            match = g;
        }
        return match;
    }
}
