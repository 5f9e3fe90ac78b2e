using ContextNets.Detection.Boxes;
using ContextNets.Detection.Heads;
using ContextNets.Export.Proto;

namespace ContextNets.Export.Detection;

/// <summary>
/// <see cref="MultiScaleRoiAlign"/> as a graph, as torchvision exports it: each box's FPN level by the
/// <see cref="LevelMapper"/> rule (Sqrt, Log, Floor, Clip), the boxes of each level gathered (NonZero) and pooled by
/// RoiAlign, and the pooled rows scattered back into the boxes' order (ScatterND). RoiAlign is torchvision's with
/// aligned=False: no half-pixel shift and each RoI at least one cell, which opset 16 names
/// `coordinate_transformation_mode = output_half_pixel` (its default `half_pixel` is aligned=True); before 16 it is
/// the op's only behaviour. Sampling is the pooler's fixed ratio, averaged.
/// </summary>
internal static class RoiPoolGraph
{
    private const float CanonicalScale = 224f, CanonicalLevel = 4f, Eps = 1e-6f;

    /// <summary>RoiAlign's coordinate_transformation_mode attribute appeared in opset 16.</summary>
    private const int CoordinateModeOpset = 16;

    /// <summary>Pooled features [K, C, size, size] of boxes [K, 4] (resized-image coordinates) from the FPN levels "0".."3".</summary>
    public static OnnxValue Pool(OnnxGraph g, string scope, MultiScaleRoiAlign pooler, IReadOnlyList<OnnxValue> levels, OnnxValue boxes, int imageH)
    {
        var scales = levels.Select(l => LevelMapper.Scale(l.Dims[2], imageH)).ToArray();
        var mapper = LevelMapper.FromScales(scales);
        int maxLevel = (int)-MathF.Log2(scales[^1]);
        var level = Levels(g, scope, boxes, mapper.MinLevel, maxLevel);
        int channels = levels[0].Dims[1], size = pooler.OutputSize;
        var pooled = new List<OnnxValue>();
        var members = new List<OnnxValue>();
        for (int l = 0; l < levels.Count; l++)
        {
            var mine = GraphOps.TrueIndices(g, scope, g.Op("Equal", scope, level.Dims, [level.Name, g.Int64s(l)]));
            var rois = GraphOps.Gather(g, scope, boxes, mine);
            var batch = GraphOps.Elementwise(g, "Sub", scope, mine, mine.Name);
            var attributes = new List<AttributeProto>
            {
                OnnxAttr.String("mode", "avg"), OnnxAttr.Int("output_height", size), OnnxAttr.Int("output_width", size),
                OnnxAttr.Int("sampling_ratio", pooler.SamplingRatio), OnnxAttr.Float("spatial_scale", scales[l]),
            };
            if (g.Opset >= CoordinateModeOpset) attributes.Add(OnnxAttr.String("coordinate_transformation_mode", "output_half_pixel"));
            pooled.Add(g.Op("RoiAlign", scope, [GraphOps.Dynamic, channels, size, size], [levels[l].Name, rois.Name, batch.Name], [.. attributes]));
            members.Add(mine);
        }
        var stacked = GraphOps.Concat(g, scope, 0, [.. pooled]);
        var order = GraphOps.Unsqueeze(g, scope, GraphOps.Concat(g, scope, 0, [.. members]), 1);
        var zeros = g.Op("ConstantOfShape", scope, stacked.Dims, [g.Op("Shape", scope, [4], [stacked.Name]).Name]);
        return g.Op("ScatterND", scope, stacked.Dims, [zeros.Name, order.Name, stacked.Name]);
    }

    /// <summary>
    /// LevelMapper.Map for every box, counted from the finest level: floor(4 + log2(sqrt(area) / 224) + 1e-6) clamped to
    /// [min, max], minus min. log2 is Log over ln 2, as torch.onnx writes torch.log2.
    /// </summary>
    private static OnnxValue Levels(OnnxGraph g, string scope, OnnxValue boxes, int minLevel, int maxLevel)
    {
        var sizes = GraphOps.Elementwise(g, "Sub", scope, GraphOps.Slice(g, scope, boxes, 1, 2, 4), GraphOps.Slice(g, scope, boxes, 1, 0, 2).Name);
        var area = GraphOps.Elementwise(g, "Mul", scope, GraphOps.Slice(g, scope, sizes, 1, 0, 1), GraphOps.Slice(g, scope, sizes, 1, 1, 2).Name);
        var side = GraphOps.Op(g, "Sqrt", scope, area.Dims, area.Name);
        var log = GraphOps.Op(g, "Log", scope, side.Dims, GraphOps.Elementwise(g, "Div", scope, side, g.Scalar(CanonicalScale)).Name);
        var log2 = GraphOps.Elementwise(g, "Div", scope, log, g.Scalar(MathF.Log(2f)));
        var raw = GraphOps.Elementwise(g, "Add", scope, GraphOps.Elementwise(g, "Add", scope, log2, g.Scalar(CanonicalLevel)), g.Scalar(Eps));
        var floor = GraphOps.Op(g, "Floor", scope, raw.Dims, raw.Name);
        var clamped = GraphOps.Op(g, "Clip", scope, floor.Dims, floor.Name, g.Scalar(minLevel), g.Scalar(maxLevel));
        var index = GraphOps.Cast(g, scope, GraphOps.Elementwise(g, "Sub", scope, clamped, g.Scalar(minLevel)), TensorProto.Types.DataType.Int64);
        return g.Op("Squeeze", scope, [GraphOps.Dynamic], [index.Name, g.Int64s(1)]);
    }
}
