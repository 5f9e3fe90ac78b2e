namespace ContextNets.Detection.Training;

/// <summary>
/// torchvision's det_utils.Matcher: each prediction (anchor or proposal) takes the ground truth it overlaps most;
/// below <c>low</c> it is background (<see cref="BelowLow"/>), between low and high it is ignored
/// (<see cref="Between"/>). With low-quality matches allowed (the RPN's setting), every prediction that ties for a
/// ground truth's best overlap keeps that match whatever its IoU, so that no object goes without an anchor.
/// </summary>
public sealed class Matcher(float high, float low, bool allowLowQualityMatches)
{
    public const int BelowLow = -1, Between = -2;

    /// <summary>
    /// The matched ground-truth index of each of the <paramref name="predictions"/> columns of the quality matrix
    /// [truths, predictions] (row-major), or <see cref="BelowLow"/> / <see cref="Between"/>. Without ground truth every
    /// prediction is background, as torchvision's callers treat an image with no boxes.
    /// </summary>
    public int[] Match(ReadOnlySpan<float> quality, int truths, int predictions)
    {
        if (low > high) throw new ArgumentException($"matcher: the low threshold {low} is above the high one {high}.");
        if (quality.Length != truths * predictions) throw new ArgumentException($"matcher: {quality.Length} values are not a {truths}x{predictions} matrix.");
        var matches = new int[predictions];
        if (truths == 0)
        {
            Array.Fill(matches, BelowLow);
            return matches;
        }
        var best = new int[predictions];
        for (int p = 0; p < predictions; p++)
        {
            int g = 0;
            for (int t = 1; t < truths; t++)
                if (quality[t * predictions + p] > quality[g * predictions + p]) g = t;
            best[p] = g;
            float value = quality[g * predictions + p];
            matches[p] = value < low ? BelowLow : value < high ? Between : g;
        }
        if (!allowLowQualityMatches) return matches;
        for (int t = 0; t < truths; t++)
        {
            var row = quality.Slice(t * predictions, predictions);
            float highest = float.NegativeInfinity;
            foreach (float v in row) highest = MathF.Max(highest, v);
            for (int p = 0; p < predictions; p++)
                if (row[p] == highest) matches[p] = best[p];
        }
        return matches;
    }
}
