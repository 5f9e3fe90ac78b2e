using ContextNets.Detection.Boxes;
using ContextNets.Detection.Evaluation;

namespace ContextNets.Tests.Detection;

/// <summary>COCO-style mAP on cases worked by hand (101-point interpolation, IoU thresholds .50:.05:.95, areas by COCO's ranges).</summary>
public class CocoEvaluatorTests
{
    private static CocoSummary Evaluate(float[] truthBoxes, int[] truthClasses, float[] detBoxes, int[] detClasses, float[] scores)
    {
        var truths = truthClasses.Select((c, i) => new Instance(0, c, BoxOps.Area(truthBoxes, i), 0, i)).ToList();
        var dets = detClasses.Select((c, i) => new Instance(0, c, BoxOps.Area(detBoxes, i), scores[i], i)).ToList();
        return CocoEvaluator.Evaluate(truths, dets, (d, g) => BoxOps.Iou(detBoxes, d, truthBoxes, g));
    }

    [Fact]
    public void PerfectDetectionsScoreOne()
    {
        float[] boxes = [0, 0, 10, 10, 50, 50, 200, 200];
        var s = Evaluate(boxes, [1, 2], boxes, [1, 2], [0.9f, 0.8f]);
        Assert.Equal(1.0, s.AP, 9);
        Assert.Equal(1.0, s.APSmall, 9);
        Assert.Equal(1.0, s.APLarge, 9);
        // No ground truth of medium size: nothing to average.
        Assert.Equal(-1, s.APMedium);
    }

    [Fact]
    public void AFalsePositiveRankedFirstHalvesThePrecision()
    {
        // The 0.9 detection misses; the 0.5 one hits. Precision at recall 1 is 1/2, and the envelope is 1/2 at every
        // recall point up to 1, so AP is 0.5 at every threshold.
        var s = Evaluate([0, 0, 10, 10], [1], [100, 100, 110, 110, 0, 0, 10, 10], [1, 1], [0.9f, 0.5f]);
        Assert.Equal(0.5, s.AP, 9);
        Assert.Equal(0.5, s.AP50, 9);
    }

    [Fact]
    public void AnOverlapOf062CountsAtThreeOfTheTenThresholds()
    {
        // IoU 0.62 matches at .50, .55 and .60: AP = 3 / 10; AP50 = 1, AP75 = 0.
        var s = Evaluate([0, 0, 10, 10], [1], [0, 0, 10, 6.2f], [1], [0.7f]);
        Assert.Equal(0.3, s.AP, 6);
        Assert.Equal(1.0, s.AP50, 9);
        Assert.Equal(0.0, s.AP75, 9);
    }

    [Fact]
    public void AWrongClassIsAMissAndItsOwnClassIsAFalsePositive()
    {
        // Class 1 has ground truth and no detection (AP 0); class 2 has a detection and no ground truth (not averaged).
        var s = Evaluate([0, 0, 10, 10], [1], [0, 0, 10, 10], [2], [0.9f]);
        Assert.Equal(0.0, s.AP, 9);
    }

    [Fact]
    public void HalfTheObjectsFoundGivesRecallHalfAndAPAboutHalf()
    {
        // Two ground truths, one found with precision 1: the envelope is 1 up to recall 0.5 (51 of the 101 points).
        var s = Evaluate([0, 0, 10, 10, 20, 20, 30, 30], [1, 1], [0, 0, 10, 10], [1], [0.9f]);
        Assert.Equal(51.0 / 101, s.AP, 9);
    }

    [Fact]
    public void DetectionsBeyondTheHundredBestAreNotCounted()
    {
        // 100 misses score above the one hit, which is then dropped: AP 0.
        var boxes = new List<float>();
        var scores = new List<float>();
        for (int i = 0; i < 100; i++)
        {
            boxes.AddRange([500 + i, 500, 510 + i, 510]);
            scores.Add(0.9f);
        }
        boxes.AddRange([0, 0, 10, 10]);
        scores.Add(0.1f);
        var s = Evaluate([0, 0, 10, 10], [1], [.. boxes], [.. Enumerable.Repeat(1, 101)], [.. scores]);
        Assert.Equal(0.0, s.AP, 9);
    }
}
