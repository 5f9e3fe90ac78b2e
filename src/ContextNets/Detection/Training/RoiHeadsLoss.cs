using ContextNets.Autograd;
using ContextNets.Detection.Boxes;
using ContextNets.Detection.Heads;

namespace ContextNets.Detection.Training;

/// <summary>
/// torchvision's RoIHeads losses. Each image's proposals, with its ground-truth boxes appended, are matched to the
/// ground truth (IoU ≥ 0.5 foreground, else background) and a balanced sample is kept in index order. Fast R-CNN:
/// cross-entropy over the sample, and smooth-L1 (beta 1/9) of the foreground's own-class codes (weights 10, 10, 5, 5)
/// summed and divided by the sample's size. Mask: binary cross-entropy of each foreground proposal's own-class 28x28
/// logits against its object's mask pooled under the proposal (roi_align, aligned false, adaptive sampling).
/// </summary>
public static class RoiHeadsLoss
{
    private const float Beta = 1f / 9;

    /// <summary>(loss_classifier, loss_box_reg, loss_mask) for the proposals of every image and the resized targets.</summary>
    public static (Tensor classifier, Tensor boxReg, Tensor mask) Compute(RoiHeads heads, IReadOnlyList<Tensor> levels, IReadOnlyList<float[]> proposals,
        IReadOnlyList<DetectionTarget> targets, IReadOnlyList<(int h, int w)> sizes, BalancedSampler sampler)
    {
        var settings = heads.Settings;
        var matcher = new Matcher(settings.BoxForegroundIou, settings.BoxBackgroundIou, allowLowQualityMatches: false);
        var sampledBoxes = new List<float[]>();
        var labels = new List<int>();
        var positiveRows = new List<int>();
        var positiveTargets = new List<float>();
        var maskBoxes = new List<float[]>();
        var maskMatches = new List<int[]>();
        var maskLabels = new List<int>();
        for (int n = 0; n < targets.Count; n++)
        {
            var target = targets[n];
            var candidates = proposals[n].Concat(target.Boxes).ToArray();
            int count = BoxOps.Count(candidates);
            var matches = matcher.Match(BoxOps.IouMatrix(target.Boxes, candidates), target.Count, count);
            var imageLabels = matches.Select(m => m >= 0 ? target.Labels[m] : m == Matcher.BelowLow ? 0 : -1).ToArray();
            var (pos, neg) = sampler.Sample(imageLabels);
            var kept = pos.Concat(neg).Order().ToList();
            var positives = kept.Where(i => imageLabels[i] > 0).ToList();
            foreach (int i in kept)
            {
                if (imageLabels[i] > 0) positiveRows.Add(labels.Count);
                labels.Add(imageLabels[i]);
            }
            var positiveBoxes = BoxOps.Gather(candidates, positives);
            var matched = positives.SelectMany(i => target.Boxes.AsSpan(4 * matches[i], 4).ToArray()).ToArray();
            positiveTargets.AddRange(BoxCoder.RoiHeads.Encode(matched, positiveBoxes));
            sampledBoxes.Add(BoxOps.Gather(candidates, kept));
            maskBoxes.Add(positiveBoxes);
            maskMatches.Add([.. positives.Select(i => matches[i])]);
            maskLabels.AddRange(positives.Select(i => imageLabels[i]));
        }
        if (labels.Count == 0) throw new InvalidOperationException("The box head sampled no proposals: the sampler's batch size per image is 0.");
        var (logits, codes) = heads.BoxOutputs(levels, sampledBoxes, sizes);
        int classes = heads.NumClasses;
        var classifier = F.CrossEntropy(logits, [.. labels]);
        var ownCodes = F.IndexRows(F.Reshape(codes, -1, 4), [.. positiveRows.Select(r => r * classes + labels[r])]);
        var boxReg = F.Mul(F.SmoothL1Sum(ownCodes, [.. positiveTargets], Beta), Tensor.Scalar(1f / labels.Count));
        return (classifier, boxReg, MaskLoss(heads, levels, maskBoxes, maskMatches, maskLabels, targets, sizes));
    }

    /// <summary>maskrcnn_loss; with no foreground proposal in the batch it is 0, as torchvision's mask_logits.sum() * 0.</summary>
    private static Tensor MaskLoss(RoiHeads heads, IReadOnlyList<Tensor> levels, List<float[]> boxes, List<int[]> matches, List<int> labels,
        IReadOnlyList<DetectionTarget> targets, IReadOnlyList<(int h, int w)> sizes)
    {
        if (labels.Count == 0) return Tensor.Scalar(0f);
        var maskTargets = new List<float>();
        for (int n = 0; n < targets.Count; n++)
            if (matches[n].Length > 0) maskTargets.AddRange(ProjectMasks(targets[n], boxes[n], matches[n], heads.MaskSize));
        var logits = heads.MaskLogits(levels, boxes, sizes);
        int classes = heads.NumClasses, plane = heads.MaskSize * heads.MaskSize;
        var own = F.IndexRows(F.Reshape(logits, -1, plane), [.. labels.Select((label, i) => i * classes + label)]);
        return F.BinaryCrossEntropyWithLogits(own, [.. maskTargets]);
    }

    /// <summary>project_masks_on_boxes: each object's mask, roi-aligned under the proposal matched to it, at size x size.</summary>
    private static float[] ProjectMasks(DetectionTarget target, float[] boxes, int[] matches, int size)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var masks = Tensor.FromArray([.. target.Masks.Select(b => (float)b)], target.Count, 1, target.Height, target.Width);
        var rois = new float[matches.Length * 5];
        for (int i = 0; i < matches.Length; i++)
        {
            rois[5 * i] = matches[i];
            boxes.AsSpan(4 * i, 4).CopyTo(rois.AsSpan(5 * i + 1));
        }
        return F.RoiAlign(masks, Tensor.FromArray(rois, matches.Length, 5), (size, size), 1f, -1).ToArray();
    }
}
