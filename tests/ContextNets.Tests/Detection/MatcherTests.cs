using ContextNets.Detection.Training;

namespace ContextNets.Tests.Detection;

/// <summary>The Matcher's thresholds and low-quality matches, and the balanced sampler's counts and seeding, on hand-worked cases.</summary>
public class MatcherTests
{
    // Two ground truths (rows) by four predictions (columns).
    private static readonly float[] Quality =
    [
        0.9f, 0.5f, 0.1f, 0.2f,
        0.1f, 0.6f, 0.2f, 0.25f,
    ];

    [Fact]
    public void ThresholdsSplitMatchesIntoObjectsIgnoredAndBackground()
    {
        var matches = new Matcher(0.7f, 0.3f, allowLowQualityMatches: false).Match(Quality, 2, 4);
        // 0.9 ≥ 0.7 matches truth 0; 0.6 is between; 0.2 and 0.25 are below 0.3.
        Assert.Equal([0, Matcher.Between, Matcher.BelowLow, Matcher.BelowLow], matches);
    }

    [Fact]
    public void LowQualityMatchesGiveEveryTruthItsBestPrediction()
    {
        var matches = new Matcher(0.7f, 0.3f, allowLowQualityMatches: true).Match(Quality, 2, 4);
        // Truth 1's best overlap is 0.6 at prediction 1, which then keeps its match to truth 1.
        Assert.Equal([0, 1, Matcher.BelowLow, Matcher.BelowLow], matches);
    }

    [Fact]
    public void NoTruthMakesEveryPredictionBackground() =>
        Assert.Equal([Matcher.BelowLow, Matcher.BelowLow], new Matcher(0.5f, 0.5f, false).Match([], 0, 2));

    [Fact]
    public void TheSamplerCapsPositivesAndFillsWithNegatives()
    {
        int[] labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, -1, 2];
        var (pos, neg) = new BalancedSampler(8, 0.25f, seed: 1).Sample(labels);
        Assert.Equal(2, pos.Count);
        Assert.Equal(6, neg.Count);
        Assert.All(pos, i => Assert.True(labels[i] >= 1));
        Assert.All(neg, i => Assert.Equal(0, labels[i]));
        Assert.Equal(pos.Count, pos.Distinct().Count());
    }

    [Fact]
    public void TheSamplerRepeatsForOneSeedAndDiffersForAnother()
    {
        int[] labels = [.. Enumerable.Range(0, 200).Select(i => i % 3 == 0 ? 1 : 0)];
        var a = new BalancedSampler(32, 0.5f, seed: 7).Sample(labels);
        var b = new BalancedSampler(32, 0.5f, seed: 7).Sample(labels);
        var c = new BalancedSampler(32, 0.5f, seed: 8).Sample(labels);
        Assert.Equal(a.positives, b.positives);
        Assert.Equal(a.negatives, b.negatives);
        Assert.NotEqual(a.positives, c.positives);
    }
}
