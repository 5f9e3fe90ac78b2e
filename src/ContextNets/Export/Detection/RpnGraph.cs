using ContextNets.Detection.Rpn;
using ContextNets.Export.Emit;
using ContextNets.NN;

namespace ContextNets.Export.Detection;

/// <summary>
/// <see cref="RegionProposalNetwork.Propose"/> in inference as a graph: the head on every FPN level, each level's
/// logits and codes flattened in anchor order (row, column, anchor), the top pre-NMS logits of each level (TopK),
/// their codes decoded onto the anchors (constants for the fixed input size), clipped to the resized image, boxes
/// under 1e-3 dropped, NMS at the RPN's threshold within each level, and the best post-NMS boxes.
/// </summary>
internal static class RpnGraph
{
    private const float MinSize = 1e-3f;

    /// <summary>The proposals [P, 4] (P dynamic, at most the post-NMS count) on an image resized to (height, width) and padded.</summary>
    public static OnnxValue Propose(OnnxGraph g, RegionProposalNetwork rpn, IReadOnlyList<OnnxValue> levels, (int h, int w) padded, (int h, int w) resized)
    {
        var settings = rpn.Settings;
        var head = SharedHead.Of(g, rpn.Head);
        var boxes = new List<OnnxValue>();
        var logits = new List<OnnxValue>();
        var levelIds = new List<OnnxValue>();
        for (int l = 0; l < levels.Count; l++)
        {
            string scope = $"rpn.level{l}";
            var (levelLogits, codes) = Head(g, head, levels[l], scope);
            int count = levelLogits.Dims[0], k = Math.Min(settings.RpnPreNmsTopNTest, count);
            var (top, index) = GraphOps.TopK(g, scope, levelLogits, g.Int64s(k), k);
            var anchors = rpn.Anchors.Grid(l, levels[l].Dims[2], levels[l].Dims[3], padded.h, padded.w);
            var (sizes, centres) = BoxGraph.SizesAndCentres(anchors);
            var anchorSizes = GraphOps.Gather(g, scope, new OnnxValue(GraphOps.Floats(g, scope + ".anchor_sizes", sizes, count, 2), [count, 2]), index);
            var anchorCentres = GraphOps.Gather(g, scope, new OnnxValue(GraphOps.Floats(g, scope + ".anchor_centres", centres, count, 2), [count, 2]), index);
            boxes.Add(BoxGraph.Decode(g, scope, GraphOps.Gather(g, scope, codes, index), anchorSizes.Name, anchorCentres.Name, BoxWeights.Rpn));
            logits.Add(top);
            levelIds.Add(new OnnxValue(GraphOps.Longs(g, scope + ".level", [.. Enumerable.Repeat((long)l, k)], k), [k]));
        }
        const string at = "rpn.proposals";
        var all = BoxGraph.Clip(g, at, GraphOps.Concat(g, at, 0, [.. boxes]), resized.h, resized.w);
        var allLogits = GraphOps.Concat(g, at, 0, [.. logits]);
        var allLevels = GraphOps.Concat(g, at, 0, [.. levelIds]);
        var keep = BoxGraph.LargeEnough(g, at, all, MinSize);
        if (settings.RpnScoreThreshold > 0)
        {
            var scores = GraphOps.Op(g, "Sigmoid", at, allLogits.Dims, allLogits.Name);
            keep = GraphOps.And(g, at, keep, GraphOps.Op(g, "GreaterOrEqual", at, scores.Dims, scores.Name, g.Scalar(settings.RpnScoreThreshold)));
        }
        var kept = GraphOps.TrueIndices(g, at, keep);
        // NMS ranks by the logits: the sigmoid is monotonic, so their order is the scores' without the runtime's
        // approximate sigmoid moving near-equal scores past each other.
        var candidates = GraphOps.Gather(g, at, all, kept);
        var survivors = GraphOps.BatchedNms(g, at, candidates, GraphOps.Gather(g, at, allLogits, kept), GraphOps.Gather(g, at, allLevels, kept),
            levels.Count, settings.RpnNmsThreshold, settings.RpnPreNmsTopNTest, settings.RpnPostNmsTopNTest);
        return GraphOps.Gather(g, at, candidates, survivors);
    }

    /// <summary>The head's three convs, their weights written once and shared by the levels.</summary>
    private sealed record SharedHead(Conv2d Conv, string[] ConvWeights, Conv2d Logits, string[] LogitWeights, Conv2d Codes, string[] CodeWeights)
    {
        public static SharedHead Of(OnnxGraph g, RpnHead head)
        {
            var children = head.NamedChildren().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
            var conv = (Conv2d)((Sequential)((Sequential)children["conv"])[0])[0];
            var logits = (Conv2d)children["cls_logits"];
            var codes = (Conv2d)children["bbox_pred"];
            return new SharedHead(conv, Weights(g, conv, "rpn.head.conv.0.0"), logits, Weights(g, logits, "rpn.head.cls_logits"), codes, Weights(g, codes, "rpn.head.bbox_pred"));
        }

        private static string[] Weights(OnnxGraph g, Conv2d conv, string path) => [.. Layers.ConvParameters(g, path, conv.Weight, conv.Bias, null)];
    }

    /// <summary>The head on one level, flattened as RpnOutputs reads it: logits [h*w*A] and codes [h*w*A, 4].</summary>
    private static (OnnxValue logits, OnnxValue codes) Head(OnnxGraph g, SharedHead head, OnnxValue level, string scope)
    {
        var shared = Ops.Relu(g, scope, Conv(g, head.Conv, head.ConvWeights, scope, level));
        var logits = Conv(g, head.Logits, head.LogitWeights, scope, shared);
        var codes = Conv(g, head.Codes, head.CodeWeights, scope, shared);
        int a = logits.Dims[1], h = logits.Dims[2], w = logits.Dims[3], count = h * w * a;
        var flatLogits = GraphOps.Reshape(g, scope, Ops.Transpose(g, scope, logits, 0, 2, 3, 1), [count], count);
        var byAnchor = GraphOps.Reshape(g, scope, codes, [1, a, 4, h, w], 1, a, 4, h, w);
        var flatCodes = GraphOps.Reshape(g, scope, Ops.Transpose(g, scope, byAnchor, 0, 3, 4, 1, 2), [count, 4], count, 4);
        return (flatLogits, flatCodes);
    }

    /// <summary>A stride-1 conv that keeps the map's size (the head's 3x3 with padding 1 and its 1x1s) on shared weights.</summary>
    private static OnnxValue Conv(OnnxGraph g, Conv2d conv, string[] weights, string scope, OnnxValue x)
    {
        int k = conv.KernelSize, p = conv.Padding;
        return g.Op("Conv", scope, [x.Dims[0], conv.OutChannels, x.Dims[2], x.Dims[3]], [x.Name, .. weights],
            OnnxAttr.Ints("kernel_shape", k, k), OnnxAttr.Ints("strides", 1, 1), OnnxAttr.Ints("pads", p, p, p, p));
    }
}
