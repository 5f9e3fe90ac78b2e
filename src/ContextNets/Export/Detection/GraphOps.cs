using ContextNets.Export.Proto;

namespace ContextNets.Export.Detection;

/// <summary>
/// The ops of a detector's graph whose sizes depend on the data (how many boxes survive a threshold or NMS). Such a
/// size is <see cref="Dynamic"/> in the value's dims; the rest of the dims are the example's, as in the module
/// emitters. Every op here means the same in opsets 13 to 17 (Squeeze, Unsqueeze and Slice take their axes as inputs).
/// </summary>
internal static class GraphOps
{
    /// <summary>A dimension known only when the graph runs.</summary>
    public const int Dynamic = -1;

    /// <summary>ONNX's element type of booleans, as a value info's element type.</summary>
    public const int Bool = (int)TensorProto.Types.DataType.Bool;

    public static OnnxValue Op(OnnxGraph g, string op, string scope, int[] dims, params string[] inputs) => g.Op(op, scope, dims, inputs);

    /// <summary>An elementwise op on two values of which <paramref name="a"/> has the result's dims.</summary>
    public static OnnxValue Elementwise(OnnxGraph g, string op, string scope, OnnxValue a, string b) => g.Op(op, scope, a.Dims, [a.Name, b]);

    /// <summary>A float32 constant of any shape.</summary>
    public static string Floats(OnnxGraph g, string name, float[] values, params int[] dims) => g.Weights(name, values, dims);

    /// <summary>An int64 constant of any shape (not shared by value, unlike <see cref="OnnxGraph.Int64s"/>).</summary>
    public static string Longs(OnnxGraph g, string name, long[] values, params int[] dims) =>
        g.Raw(name, TensorProto.Types.DataType.Int64, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), dims);

    /// <summary>A 0-D int64 constant: a Gather index that drops its axis.</summary>
    public static string Int64Scalar(OnnxGraph g, long value) => Longs(g, "scalar_i64", [value]);

    /// <summary>A 0-D boolean constant.</summary>
    public static string BoolScalar(OnnxGraph g, bool value) =>
        g.Raw("scalar_bool", TensorProto.Types.DataType.Bool, [value ? (byte)1 : (byte)0]);

    /// <summary>Elements [start, end) of <paramref name="x"/> along <paramref name="axis"/> (static bounds).</summary>
    public static OnnxValue Slice(OnnxGraph g, string scope, OnnxValue x, int axis, int start, int end)
    {
        var dims = (int[])x.Dims.Clone();
        dims[axis] = end - start;
        return g.Op("Slice", scope, dims, [x.Name, g.Int64s(start), g.Int64s(end), g.Int64s(axis)]);
    }

    public static OnnxValue Concat(OnnxGraph g, string scope, int axis, params OnnxValue[] parts)
    {
        var dims = (int[])parts[0].Dims.Clone();
        dims[axis] = parts.Any(p => p.Dims[axis] == Dynamic) ? Dynamic : parts.Sum(p => p.Dims[axis]);
        return g.Op("Concat", scope, dims, parts.Select(p => p.Name), OnnxAttr.Int("axis", axis));
    }

    /// <summary>Rows of <paramref name="data"/> (along axis 0) at 1-D <paramref name="indices"/>.</summary>
    public static OnnxValue Gather(OnnxGraph g, string scope, OnnxValue data, OnnxValue indices) =>
        g.Op("Gather", scope, [indices.Dims[0], .. data.Dims.Skip(1)], [data.Name, indices.Name], OnnxAttr.Int("axis", 0));

    public static OnnxValue Unsqueeze(OnnxGraph g, string scope, OnnxValue x, int axis) =>
        g.Op("Unsqueeze", scope, [.. x.Dims.Take(axis), 1, .. x.Dims.Skip(axis)], [x.Name, g.Int64s(axis)]);

    /// <summary>Reshape to <paramref name="dims"/>, where 0 copies the input's dimension (a dynamic row count stays exact at 0 rows).</summary>
    public static OnnxValue Reshape(OnnxGraph g, string scope, OnnxValue x, int[] dims, params long[] target) =>
        g.Op("Reshape", scope, dims, [x.Name, g.Int64s(target)]);

    public static OnnxValue Cast(OnnxGraph g, string scope, OnnxValue x, TensorProto.Types.DataType to) =>
        g.Op("Cast", scope, x.Dims, [x.Name], OnnxAttr.Int("to", (int)to));

    /// <summary>The first dimension of <paramref name="x"/> as a 1-D int64 of one element (Shape's start/end attributes are opset 15's).</summary>
    public static OnnxValue Rows(OnnxGraph g, string scope, OnnxValue x) =>
        Slice(g, scope, g.Op("Shape", scope, [x.Rank], [x.Name]), 0, 0, 1);

    /// <summary>The positions where the 1-D boolean <paramref name="mask"/> is true, ascending, as a 1-D int64 index.</summary>
    public static OnnxValue TrueIndices(OnnxGraph g, string scope, OnnxValue mask)
    {
        var nonzero = g.Op("NonZero", scope, [1, Dynamic], [mask.Name]);
        return g.Op("Squeeze", scope, [Dynamic], [nonzero.Name, g.Int64s(0)]);
    }

    /// <summary>Logical and of boolean values of the same dims.</summary>
    public static OnnxValue And(OnnxGraph g, string scope, params OnnxValue[] masks) =>
        masks.Skip(1).Aggregate(masks[0], (a, b) => g.Op("And", scope, a.Dims, [a.Name, b.Name]));

    /// <summary>
    /// TopK of a 1-D value: the <paramref name="k"/> largest (or smallest) values and their positions, sorted, ties
    /// broken by the lower position first as ONNX's TopK specifies. <paramref name="k"/> is a 1-D int64 value of one element.
    /// </summary>
    public static (OnnxValue values, OnnxValue indices) TopK(OnnxGraph g, string scope, OnnxValue x, string k, int kDim, bool largest = true)
    {
        var outputs = g.Ops("TopK", scope, [[kDim], [kDim]], [x.Name, k], OnnxAttr.Int("axis", 0), OnnxAttr.Int("largest", largest ? 1 : 0), OnnxAttr.Int("sorted", 1));
        return (outputs[0], outputs[1]);
    }

    /// <summary>min(count of <paramref name="x"/>'s rows, <paramref name="limit"/>) as a 1-D int64 of one element, for TopK.</summary>
    public static string AtMost(OnnxGraph g, string scope, OnnxValue x, int limit) =>
        g.Op("Min", scope, [1], [Rows(g, scope, x).Name, g.Int64s(limit)]).Name;

    /// <summary>
    /// NMS within groups, as <see cref="ContextNets.Detection.Boxes.Nms.Batched"/>: boxes [M, 4] with scores [M] and group ids [M] (int64,
    /// 0..groups-1) go to NonMaxSuppression with the group as its class axis (a box scores -inf, below the threshold,
    /// in every group but its own), so boxes of different groups never suppress each other and no coordinate is
    /// shifted. Returns the indices of the kept boxes, at most <paramref name="keep"/>, by decreasing score with ties in
    /// index order: the selected indices are sorted ascending first, so that TopK's tie rule (lower position first)
    /// is the index order. <paramref name="perGroup"/> bounds how many boxes a group can hold.
    /// </summary>
    public static OnnxValue BatchedNms(OnnxGraph g, string scope, OnnxValue boxes, OnnxValue scores, OnnxValue groups, int groupCount,
        float iouThreshold, int perGroup, int keep)
    {
        var ids = Longs(g, scope + ".groups", [.. Enumerable.Range(0, groupCount).Select(i => (long)i)], groupCount, 1);
        var row = Unsqueeze(g, scope, groups, 0);
        var own = g.Op("Equal", scope, [groupCount, Dynamic], [row.Name, ids]);
        var grouped = g.Op("Where", scope, [groupCount, Dynamic], [own.Name, Unsqueeze(g, scope, scores, 0).Name, g.Scalar(float.NegativeInfinity)]);
        var selected = g.Op("NonMaxSuppression", scope, [Dynamic, 3],
            [Unsqueeze(g, scope, boxes, 0).Name, Unsqueeze(g, scope, grouped, 0).Name, g.Int64s(perGroup), Floats(g, scope + ".iou", [iouThreshold], 1), Floats(g, scope + ".floor", [float.MinValue], 1)]);
        var index = g.Op("Gather", scope, [Dynamic], [selected.Name, Int64Scalar(g, 2)], OnnxAttr.Int("axis", 1));
        // TopK sorts floats here; indices are exact in float32 up to 2^24 candidates, far more than NMS is given.
        var asFloat = Cast(g, scope, index, TensorProto.Types.DataType.Float);
        var (_, ascending) = TopK(g, scope, asFloat, AtMost(g, scope, index, int.MaxValue), Dynamic, largest: false);
        var inOrder = Gather(g, scope, index, ascending);
        var (_, best) = TopK(g, scope, Gather(g, scope, scores, inOrder), AtMost(g, scope, inOrder, keep), Dynamic);
        return Gather(g, scope, inOrder, best);
    }
}
