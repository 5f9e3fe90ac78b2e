using ContextNets.Detection.Boxes;
using ContextNets.Detection.Rpn;

namespace ContextNets.Detection.Training;

/// <summary>
/// torchvision's RegionProposalNetwork losses: every anchor is matched to the ground truth (IoU ≥ 0.7 foreground,
/// &lt; 0.3 background, in between ignored, and each object's best anchors kept whatever their IoU), a balanced
/// sample of anchors is drawn per image, and over the whole batch's sample the objectness takes a binary
/// cross-entropy (mean) and the foreground anchors' codes a smooth-L1 (beta 1/9) summed and divided by the sample's size.
/// </summary>
public static class RpnLoss
{
    private const float Beta = 1f / 9;

    /// <summary>(loss_objectness, loss_rpn_box_reg) for the RPN's <paramref name="outputs"/> and the resized targets.</summary>
    public static (Tensor objectness, Tensor boxReg) Compute(RpnOutputs outputs, IReadOnlyList<DetectionTarget> targets, BalancedSampler sampler, DetectorSettings settings)
    {
        var anchors = outputs.Anchors.SelectMany(a => a).ToArray();
        int perImage = BoxOps.Count(anchors);
        var (logits, codes) = Flatten(outputs);
        var matcher = new Matcher(settings.RpnForegroundIou, settings.RpnBackgroundIou, allowLowQualityMatches: true);
        var sampled = new List<int>();
        var sampledLabels = new List<float>();
        var positives = new List<int>();
        var positiveTargets = new List<float>();
        for (int n = 0; n < targets.Count; n++)
        {
            var target = targets[n];
            var matches = matcher.Match(BoxOps.IouMatrix(target.Boxes, anchors), target.Count, perImage);
            var labels = matches.Select(m => m >= 0 ? 1 : m == Matcher.BelowLow ? 0 : -1).ToArray();
            var (pos, neg) = sampler.Sample(labels);
            foreach (int i in pos.Concat(neg).Order())
            {
                sampled.Add(n * perImage + i);
                sampledLabels.Add(labels[i]);
            }
            positives.AddRange(pos.Select(i => n * perImage + i));
            var matchedBoxes = pos.SelectMany(i => target.Boxes.AsSpan(4 * matches[i], 4).ToArray()).ToArray();
            positiveTargets.AddRange(BoxCoder.Rpn.Encode(matchedBoxes, BoxOps.Gather(anchors, pos)));
        }
        if (sampled.Count == 0) throw new InvalidOperationException("The RPN sampled no anchors: the sampler's batch size per image is 0.");
        var objectness = F.BinaryCrossEntropyWithLogits(F.IndexRows(logits, sampled), [.. sampledLabels]);
        var boxSum = F.SmoothL1Sum(F.IndexRows(codes, positives), [.. positiveTargets], Beta);
        return (objectness, F.Mul(boxSum, Tensor.Scalar(1f / sampled.Count)));
    }

    /// <summary>
    /// concat_box_prediction_layers: the head's logits [N*A_total] and codes [N*A_total, 4], image-major and then in
    /// the anchors' order (level, row, column, anchor), as differentiable views of the head's outputs.
    /// </summary>
    private static (Tensor logits, Tensor codes) Flatten(RpnOutputs outputs)
    {
        var logits = new List<Tensor>();
        var codes = new List<Tensor>();
        int n = outputs.Raw[0].logits.Shape[0];
        foreach (var (l, d) in outputs.Raw)
        {
            int a = l.Shape[1], h = l.Shape[2], w = l.Shape[3];
            logits.Add(F.Reshape(F.Permute(l, 0, 2, 3, 1), n, h * w * a));
            codes.Add(F.Reshape(F.Permute(F.Reshape(d, n, a, 4, h, w), 0, 3, 4, 1, 2), n, h * w * a, 4));
        }
        var allLogits = logits.Count == 1 ? logits[0] : F.Cat(logits, 1);
        var allCodes = codes.Count == 1 ? codes[0] : F.Cat(codes, 1);
        return (F.Reshape(allLogits, -1), F.Reshape(allCodes, -1, 4));
    }
}
