using ContextNets.Detection.Boxes;
using ContextNets.NN;

namespace ContextNets.Detection.Heads;

/// <summary>
/// torchvision's RoIHeads with masks, in inference: proposals pooled 7x7 for the two-MLP box head and its predictor,
/// per-class boxes decoded (weights 10, 10, 5, 5) and clipped, classes scored by softmax, scores over 0.05 and boxes
/// of at least 0.01 kept, NMS at 0.5 within each class, the best 100 kept; then the detections pooled 14x14 for the
/// mask head, whose 28x28 sigmoid map of each detection's own class is its mask.
/// </summary>
public sealed class RoiHeads : Module
{
    private readonly TwoMlpHead _boxHead;
    private readonly FastRcnnPredictor _boxPredictor;
    private readonly Sequential _maskHead;
    private readonly MaskPredictor _maskPredictor;

    public RoiHeads(int channels, int numClasses, DetectorSettings settings)
    {
        Settings = settings;
        _boxHead = Register("box_head", new TwoMlpHead(channels * BoxPool.OutputSize * BoxPool.OutputSize));
        _boxPredictor = Register("box_predictor", new FastRcnnPredictor(1024, numClasses));
        _maskHead = Register("mask_head", MaskHead.Create(channels));
        _maskPredictor = Register("mask_predictor", new MaskPredictor(256, 256, numClasses));
    }

    public DetectorSettings Settings { get; }
    public MultiScaleRoiAlign BoxPool { get; } = new(7);
    public MultiScaleRoiAlign MaskPool { get; } = new(14);
    public int NumClasses => _boxPredictor.NumClasses;

    /// <summary>The side of the mask logits: the mask pool's, doubled by the predictor's transposed conv.</summary>
    public int MaskSize => 2 * MaskPool.OutputSize;

    public override Tensor Forward(Tensor x) => _boxPredictor.Forward(_boxHead.Forward(x));

    /// <summary>Class logits [K, classes] and box codes [K, 4 * classes] of the proposals of every image, image by image.</summary>
    public (Tensor logits, Tensor codes) BoxOutputs(IReadOnlyList<Tensor> levels, IReadOnlyList<float[]> proposals, IReadOnlyList<(int h, int w)> imageSizes) =>
        _boxPredictor.Predict(_boxHead.Forward(BoxPool.Pool(levels, proposals, imageSizes)));

    /// <summary>Mask logits [K, classes, 28, 28] of the boxes of every image.</summary>
    public Tensor MaskLogits(IReadOnlyList<Tensor> levels, IReadOnlyList<float[]> boxes, IReadOnlyList<(int h, int w)> imageSizes) =>
        _maskPredictor.Forward(_maskHead.Forward(MaskPool.Pool(levels, boxes, imageSizes)));

    /// <summary>The detections of every image on the resized images, masks at 28x28, in inference.</summary>
    public List<Detections> Detect(IReadOnlyList<Tensor> levels, IReadOnlyList<float[]> proposals, IReadOnlyList<(int h, int w)> imageSizes)
    {
        var (logitsT, codesT) = BoxOutputs(levels, proposals, imageSizes);
        var logits = logitsT.ToArray();
        var codes = codesT.ToArray();
        int classes = NumClasses, offset = 0;
        var result = new List<Detections>();
        for (int n = 0; n < proposals.Count; n++)
        {
            int k = BoxOps.Count(proposals[n]);
            var boxes = BoxCoder.RoiHeads.Decode(codes.AsSpan(offset * 4 * classes, k * 4 * classes), proposals[n]);
            BoxOps.Clip(boxes, imageSizes[n].h, imageSizes[n].w);
            var candidates = new List<int>();
            var scores = new float[k * classes];
            for (int i = 0; i < k; i++)
            {
                Softmax(logits.AsSpan((offset + i) * classes, classes), scores.AsSpan(i * classes, classes));
                for (int c = 1; c < classes; c++)
                    if (scores[i * classes + c] > Settings.BoxScoreThreshold) candidates.Add(i * classes + c);
            }
            var kept = candidates.Where(j => boxes[4 * j + 2] - boxes[4 * j] >= 1e-2f && boxes[4 * j + 3] - boxes[4 * j + 1] >= 1e-2f).ToList();
            var keptBoxes = BoxOps.Gather(boxes, kept);
            var survivors = Nms.Batched(keptBoxes, kept.Select(j => scores[j]).ToArray(), kept.Select(j => j % classes).ToArray(), Settings.BoxNmsThreshold)
                .Take(Settings.BoxDetectionsPerImage).Select(s => kept[s]).ToList();
            result.Add(new Detections(BoxOps.Gather(boxes, survivors), [.. survivors.Select(j => scores[j])], [.. survivors.Select(j => (long)(j % classes))]));
            offset += k;
        }
        AddMasks(levels, result, imageSizes);
        return result;
    }

    /// <summary>maskrcnn_inference: sets each detection's mask to the 28x28 sigmoid map of its own class.</summary>
    public void AddMasks(IReadOnlyList<Tensor> levels, List<Detections> detections, IReadOnlyList<(int h, int w)> imageSizes)
    {
        int total = detections.Sum(d => d.Count);
        if (total == 0) return;
        var logits = MaskLogits(levels, [.. detections.Select(d => d.Boxes)], imageSizes).ToArray();
        int side = MaskSize, plane = side * side, index = 0;
        foreach (var d in detections)
        {
            var masks = new float[d.Count * plane];
            for (int i = 0; i < d.Count; i++, index++)
            {
                int source = (index * NumClasses + (int)d.Labels[i]) * plane;
                for (int p = 0; p < plane; p++) masks[i * plane + p] = 1f / (1f + MathF.Exp(-logits[source + p]));
            }
            d.Masks = masks;
            d.MaskHeight = d.MaskWidth = side;
        }
    }

    /// <summary>Softmax in float32 as PyTorch's CPU kernel: max subtracted, exponentials summed, then divided.</summary>
    private static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = MathF.Max(max, v);
        float sum = 0f;
        for (int c = 0; c < logits.Length; c++) sum += probabilities[c] = MathF.Exp(logits[c] - max);
        for (int c = 0; c < logits.Length; c++) probabilities[c] /= sum;
    }
}
