using ContextNets.Detection.Boxes;
using ContextNets.NN;

namespace ContextNets.Detection.Rpn;

/// <summary>
/// torchvision's RegionProposalNetwork in inference: anchors on every FPN level, the head's codes decoded onto them
/// (weights 1, 1, 1, 1), then per image: the top pre-NMS logits of each level, boxes clipped to the image, boxes
/// under 1e-3 dropped, NMS at 0.7 within each level, and the best post-NMS boxes kept.
/// </summary>
public sealed class RegionProposalNetwork : Module
{
    private readonly RpnHead _head;

    public RegionProposalNetwork(int channels, AnchorGenerator anchors, DetectorSettings settings)
    {
        Anchors = anchors;
        Settings = settings;
        _head = Register("head", new RpnHead(channels, anchors.PerLocation(0)));
    }

    public AnchorGenerator Anchors { get; }
    public DetectorSettings Settings { get; }
    public RpnHead Head => _head;

    public override Tensor Forward(Tensor x) => _head.Forward(x);

    /// <summary>
    /// The RPN's raw outputs, flattened per image in anchor order (level, row, column, anchor): objectness logits,
    /// box codes (4 per anchor), and the anchors themselves, which are the same for every image of a batch.
    /// </summary>
    public RpnOutputs Run(IReadOnlyList<Tensor> levels, int paddedH, int paddedW)
    {
        var raw = _head.ForwardLevels(levels);
        return new RpnOutputs(raw, [.. raw.Select((r, l) => Anchors.Grid(l, r.logits.Shape[2], r.logits.Shape[3], paddedH, paddedW))]);
    }

    /// <summary>The proposals (boxes flat, 4 per box) of each image, best first.</summary>
    public List<float[]> Propose(RpnOutputs outputs, IReadOnlyList<(int h, int w)> imageSizes, bool training)
    {
        int preNms = training ? Settings.RpnPreNmsTopNTrain : Settings.RpnPreNmsTopNTest;
        int postNms = training ? Settings.RpnPostNmsTopNTrain : Settings.RpnPostNmsTopNTest;
        var result = new List<float[]>();
        for (int n = 0; n < imageSizes.Count; n++)
        {
            var boxes = new List<float>();
            var scores = new List<float>();
            var levelOf = new List<int>();
            for (int l = 0; l < outputs.Levels; l++)
            {
                var logits = outputs.Logits(n, l);
                var decoded = BoxCoder.Rpn.Decode(outputs.Deltas(n, l), outputs.Anchors[l]);
                var top = Nms.DescendingOrder(logits).Take(Math.Min(preNms, logits.Length));
                foreach (int i in top)
                {
                    boxes.AddRange(decoded.AsSpan(4 * i, 4).ToArray());
                    scores.Add(1f / (1f + MathF.Exp(-logits[i])));
                    levelOf.Add(l);
                }
            }
            var all = boxes.ToArray();
            BoxOps.Clip(all, imageSizes[n].h, imageSizes[n].w);
            var keep = BoxOps.LargeEnough(all, 1e-3f).Where(i => scores[i] >= Settings.RpnScoreThreshold).ToList();
            var kept = BoxOps.Gather(all, keep);
            var keptScores = keep.Select(i => scores[i]).ToArray();
            var keptLevels = keep.Select(i => levelOf[i]).ToArray();
            var survivors = Nms.Batched(kept, keptScores, keptLevels, Settings.RpnNmsThreshold);
            result.Add(BoxOps.Gather(kept, survivors.Take(postNms).ToList()));
        }
        return result;
    }
}

/// <summary>The RPN head's outputs on each level, with the level's anchors, read in torchvision's flattening order.</summary>
public sealed class RpnOutputs((Tensor logits, Tensor deltas)[] raw, float[][] anchors)
{
    private readonly float[][] _logits = [.. raw.Select(r => r.logits.ToArray())];
    private readonly float[][] _deltas = [.. raw.Select(r => r.deltas.ToArray())];

    /// <summary>The head's tensors per level: logits [N, A, H, W] and codes [N, 4A, H, W].</summary>
    public IReadOnlyList<(Tensor logits, Tensor deltas)> Raw { get; } = raw;

    /// <summary>The anchors of each level [H*W*A, 4], flat.</summary>
    public float[][] Anchors { get; } = anchors;

    public int Levels => Raw.Count;

    /// <summary>The objectness logits of image n on level l, in (row, column, anchor) order.</summary>
    public float[] Logits(int n, int l)
    {
        var (a, h, w) = Dims(l);
        var src = _logits[l];
        var result = new float[h * w * a];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < a; k++) result[(y * w + x) * a + k] = src[((n * a + k) * h + y) * w + x];
        return result;
    }

    /// <summary>The box codes of image n on level l, in (row, column, anchor, coordinate) order.</summary>
    public float[] Deltas(int n, int l)
    {
        var (a, h, w) = Dims(l);
        var src = _deltas[l];
        var result = new float[h * w * a * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < a; k++)
                    for (int c = 0; c < 4; c++)
                        result[((y * w + x) * a + k) * 4 + c] = src[((n * 4 * a + k * 4 + c) * h + y) * w + x];
        return result;
    }

    private (int a, int h, int w) Dims(int l) => (Raw[l].logits.Shape[1], Raw[l].logits.Shape[2], Raw[l].logits.Shape[3]);
}
