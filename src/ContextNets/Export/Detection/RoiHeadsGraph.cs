using ContextNets.Detection.Heads;
using ContextNets.Export.Emit;
using ContextNets.Export.Proto;
using ContextNets.NN;

namespace ContextNets.Export.Detection;

/// <summary>
/// <see cref="RoiHeads.Detect"/> as a graph: the proposals pooled 7x7, the two-MLP box head and its predictor, the
/// per-class boxes decoded (10, 10, 5, 5) and clipped, softmax over the classes, the (proposal, class) pairs of the
/// foreground classes scoring above the threshold with boxes of at least 1e-2 (in proposal-major order, as ours
/// lists them), NMS within each class, the best detections; then the detections pooled 14x14 for the mask head, and
/// the sigmoid of each detection's own-class 28x28 logits.
/// </summary>
internal static class RoiHeadsGraph
{
    private const float MinSize = 1e-2f;

    /// <summary>Detections on the resized image: boxes [N, 4], scores [N], labels [N] (int64).</summary>
    public static (OnnxValue boxes, OnnxValue scores, OnnxValue labels) Detect(OnnxGraph g, RoiHeads heads, IReadOnlyList<OnnxValue> levels,
        OnnxValue proposals, (int h, int w) resized)
    {
        var children = Children(heads);
        var pooled = RoiPoolGraph.Pool(g, "roi_heads.box_roi_pool", heads.BoxPool, levels, proposals, resized.h);
        var boxHead = Children(children["box_head"]);
        var predictor = Children(children["box_predictor"]);
        int flat = pooled.Dims[1] * pooled.Dims[2] * pooled.Dims[3], classes = heads.NumClasses;
        var x = GraphOps.Reshape(g, "roi_heads.box_head", pooled, [GraphOps.Dynamic, flat], 0, flat);
        x = Ops.Relu(g, "roi_heads.box_head.fc6", Layers.Linear(g, (Linear)boxHead["fc6"], "roi_heads.box_head.fc6", x));
        x = Ops.Relu(g, "roi_heads.box_head.fc7", Layers.Linear(g, (Linear)boxHead["fc7"], "roi_heads.box_head.fc7", x));
        var logits = Layers.Linear(g, (Linear)predictor["cls_score"], "roi_heads.box_predictor.cls_score", x);
        var codes = Layers.Linear(g, (Linear)predictor["bbox_pred"], "roi_heads.box_predictor.bbox_pred", x);

        const string at = "roi_heads.postprocess";
        var perClass = GraphOps.Reshape(g, at, codes, [GraphOps.Dynamic, classes, 4], 0, classes, 4);
        var (sizes, centres) = BoxGraph.SizesAndCentres(g, at, proposals);
        var boxes = BoxGraph.Decode(g, at, perClass, GraphOps.Unsqueeze(g, at, sizes, 1).Name, GraphOps.Unsqueeze(g, at, centres, 1).Name, BoxWeights.RoiHeads);
        boxes = BoxGraph.Clip(g, at, boxes, resized.h, resized.w);
        var scores = Ops.Softmax(g, at, logits, 1);
        // The foreground pairs flattened proposal-major: pair j is proposal j / (K - 1), class j % (K - 1) + 1.
        var pairBoxes = GraphOps.Reshape(g, at, GraphOps.Slice(g, at, boxes, 1, 1, classes), [GraphOps.Dynamic, 4], -1, 4);
        var pairScores = GraphOps.Reshape(g, at, GraphOps.Slice(g, at, scores, 1, 1, classes), [GraphOps.Dynamic], -1);
        var confident = GraphOps.Op(g, "Greater", at, pairScores.Dims, pairScores.Name, g.Scalar(heads.Settings.BoxScoreThreshold));
        var kept = GraphOps.TrueIndices(g, at, GraphOps.And(g, at, confident, BoxGraph.LargeEnough(g, at, pairBoxes, MinSize)));
        var candidateBoxes = GraphOps.Gather(g, at, pairBoxes, kept);
        var candidateScores = GraphOps.Gather(g, at, pairScores, kept);
        var candidateClasses = GraphOps.Elementwise(g, "Mod", at, kept, g.Int64s(classes - 1));
        var survivors = GraphOps.BatchedNms(g, at, candidateBoxes, candidateScores, candidateClasses, classes - 1,
            heads.Settings.BoxNmsThreshold, heads.Settings.RpnPostNmsTopNTest, heads.Settings.BoxDetectionsPerImage);
        var labels = GraphOps.Elementwise(g, "Add", at, GraphOps.Gather(g, at, candidateClasses, survivors), g.Int64s(1));
        return (GraphOps.Gather(g, at, candidateBoxes, survivors), GraphOps.Gather(g, at, candidateScores, survivors), labels);
    }

    /// <summary>maskrcnn_inference: the 28x28 mask probabilities [N, 1, 28, 28] of each detection's own class.</summary>
    public static OnnxValue Masks(OnnxGraph g, RoiHeads heads, IReadOnlyList<OnnxValue> levels, OnnxValue boxes, OnnxValue labels, int imageH)
    {
        var children = Children(heads);
        var pooled = RoiPoolGraph.Pool(g, "roi_heads.mask_roi_pool", heads.MaskPool, levels, boxes, imageH);
        var features = ModuleEmitter.Emit(g, children["mask_head"], "roi_heads.mask_head", pooled);
        var predictor = Children(children["mask_predictor"]);
        var up = Ops.Relu(g, "roi_heads.mask_predictor.conv5_mask", ConvTranspose(g, (ConvTranspose2d)predictor["conv5_mask"], "roi_heads.mask_predictor.conv5_mask", features));
        var logits = Layers.Conv(g, (Conv2d)predictor["mask_fcn_logits"], "roi_heads.mask_predictor.mask_fcn_logits", null, up);
        const string at = "roi_heads.mask_select";
        int side = logits.Dims[2];
        var index = GraphOps.Reshape(g, at, labels, [GraphOps.Dynamic, 1, 1, 1], 0, 1, 1, 1);
        var spread = g.Op("Expand", at, [GraphOps.Dynamic, 1, side, side], [index.Name, g.Int64s(1, 1, side, side)]);
        var own = g.Op("GatherElements", at, spread.Dims, [logits.Name, spread.Name], OnnxAttr.Int("axis", 1));
        return Ops.Sigmoid(g, at, own);
    }

    /// <summary>A transposed conv whose kernel equals its stride (the mask predictor's 2x2, stride 2): weight [in, out, k, k] as ONNX reads it.</summary>
    private static OnnxValue ConvTranspose(OnnxGraph g, ConvTranspose2d conv, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != conv.InChannels)
            throw new ArgumentException($"ONNX export at {path}: a transposed conv of {conv.InChannels} input channels got {x.Shape}.");
        int k = conv.KernelSize;
        return g.Op("ConvTranspose", path, [x.Dims[0], conv.OutChannels, x.Dims[2] * k, x.Dims[3] * k],
            [x.Name, g.Weights(path + ".weight", conv.Weight), g.Weights(path + ".bias", conv.Bias)],
            OnnxAttr.Ints("kernel_shape", k, k), OnnxAttr.Ints("strides", k, k));
    }

    private static Dictionary<string, Module> Children(Module m) => m.NamedChildren().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
}
