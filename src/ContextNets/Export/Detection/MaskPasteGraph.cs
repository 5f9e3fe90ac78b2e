using ContextNets.Detection.Transform;
using ContextNets.Export.Proto;

namespace ContextNets.Export.Detection;

/// <summary>
/// <see cref="MaskPaste.Paste"/> as a graph, as torchvision's _onnx_paste_masks_in_image_loop does it: the masks are
/// padded by one zero pixel, each box widened by (M + 2) / M about its centre and truncated to integers (Cast from
/// float32 truncates toward zero, as .to(int64) does), and a Loop over the detections resizes each padded mask
/// bilinearly to its box's (w + 1) x (h + 1) pixels, cuts out the part inside the image and pads it with zeros to
/// the image's size. The integer window arithmetic is done for all detections before the Loop, whose body only
/// gathers its detection's row of each and runs Resize, Slice and Pad.
/// </summary>
internal static class MaskPasteGraph
{
    private const string Scope = "paste_masks";

    /// <summary>Masks [N, 1, M, M] with boxes [N, 4] in image coordinates, pasted into [N, 1, height, width].</summary>
    public static OnnxValue Paste(OnnxGraph g, OnnxValue masks, OnnxValue boxes, int height, int width)
    {
        int m = masks.Dims[2], padded = m + 2;
        var framed = g.Op("Pad", Scope, [GraphOps.Dynamic, 1, padded, padded], [masks.Name, g.Int64s(0, 0, 1, 1, 0, 0, 1, 1)]);
        var (low, high) = Expanded(g, boxes, (float)((double)padded / m));
        // (x, y) pairs: the resized mask's size, the window inside the image, and the window's offset in the mask.
        var size = GraphOps.Elementwise(g, "Max", Scope, GraphOps.Elementwise(g, "Add", Scope, GraphOps.Elementwise(g, "Sub", Scope, high, low.Name), g.Int64s(1)), g.Int64s(1));
        var from = GraphOps.Elementwise(g, "Max", Scope, low, g.Int64s(0));
        var to = GraphOps.Elementwise(g, "Min", Scope, GraphOps.Elementwise(g, "Add", Scope, high, g.Int64s(1)), g.Int64s(width, height));
        // torch slicing clamps the window to the resized mask too; an empty window stays empty.
        to = GraphOps.Elementwise(g, "Min", Scope, to, GraphOps.Elementwise(g, "Add", Scope, low, size.Name).Name);
        to = GraphOps.Elementwise(g, "Max", Scope, to, from.Name);
        var sizes = GraphOps.Concat(g, Scope, 1, Ones(g, size), YFirst(g, size));
        var starts = YFirst(g, GraphOps.Elementwise(g, "Sub", Scope, from, low.Name));
        var ends = YFirst(g, GraphOps.Elementwise(g, "Sub", Scope, to, low.Name));
        var zeros = GraphOps.Elementwise(g, "Sub", Scope, from, from.Name);
        var after = g.Op("Sub", Scope, to.Dims, [g.Int64s(width, height), to.Name]);
        var pads = GraphOps.Concat(g, Scope, 1, zeros, YFirst(g, from), zeros, YFirst(g, after));
        return Loop(g, framed, sizes, starts, ends, pads, height, width);
    }

    /// <summary>expand_boxes then .to(int64): the low (x1, y1) and high (x2, y2) corners [N, 2] of each widened box.</summary>
    private static (OnnxValue low, OnnxValue high) Expanded(OnnxGraph g, OnnxValue boxes, float scale)
    {
        var first = GraphOps.Slice(g, Scope, boxes, 1, 0, 2);
        var second = GraphOps.Slice(g, Scope, boxes, 1, 2, 4);
        var half = GraphOps.Elementwise(g, "Mul", Scope, GraphOps.Elementwise(g, "Mul", Scope, GraphOps.Elementwise(g, "Sub", Scope, second, first.Name), g.Scalar(0.5f)), g.Scalar(scale));
        var centre = GraphOps.Elementwise(g, "Mul", Scope, GraphOps.Elementwise(g, "Add", Scope, second, first.Name), g.Scalar(0.5f));
        var low = GraphOps.Cast(g, Scope, GraphOps.Elementwise(g, "Sub", Scope, centre, half.Name), TensorProto.Types.DataType.Int64);
        var high = GraphOps.Cast(g, Scope, GraphOps.Elementwise(g, "Add", Scope, centre, half.Name), TensorProto.Types.DataType.Int64);
        return (low, high);
    }

    /// <summary>(x, y) pairs [N, 2] as (y, x), the order of the maps' axes.</summary>
    private static OnnxValue YFirst(OnnxGraph g, OnnxValue pairs) =>
        g.Op("Gather", Scope, pairs.Dims, [pairs.Name, g.Int64s(1, 0)], OnnxAttr.Int("axis", 1));

    /// <summary>[N, 2] of ones (the batch and channel sizes of each resized mask).</summary>
    private static OnnxValue Ones(OnnxGraph g, OnnxValue pairs) =>
        GraphOps.Elementwise(g, "Add", Scope, GraphOps.Elementwise(g, "Sub", Scope, pairs, pairs.Name), g.Int64s(1));

    /// <summary>
    /// The Loop over the N detections. Its scan output stacks each detection's [1, H, W] map; a Reshape to [N, 1, H, W]
    /// after it gives the no-detection case its full shape, which ONNX leaves to the runtime when a Loop runs no
    /// iteration (ONNX Runtime takes it from the body's declared output; another runtime may give [0]).
    /// </summary>
    private static OnnxValue Loop(OnnxGraph g, OnnxValue masks, OnnxValue sizes, OnnxValue starts, OnnxValue ends, OnnxValue pads, int height, int width)
    {
        var count = GraphOps.Rows(g, Scope, masks);
        var trips = g.Op("Squeeze", Scope, [], [count.Name, g.Int64s(0)]);
        var iteration = g.Input("paste_iteration", []);
        var condition = g.Input("paste_condition", []);
        var body = new List<NodeProto>();
        OnnxValue pasted, carried;
        using (g.WriteInto(body))
        {
            OnnxValue Row(OnnxValue all) => g.Op("Gather", Scope, [.. all.Dims.Skip(1)], [all.Name, iteration.Name], OnnxAttr.Int("axis", 0));
            var mask = GraphOps.Unsqueeze(g, Scope, Row(masks), 0);
            var resized = g.Op("Resize", Scope, [1, 1, GraphOps.Dynamic, GraphOps.Dynamic], [mask.Name, "", "", Row(sizes).Name],
                OnnxAttr.String("mode", "linear"), OnnxAttr.String("coordinate_transformation_mode", "half_pixel"));
            var window = g.Op("Slice", Scope, [1, 1, GraphOps.Dynamic, GraphOps.Dynamic], [resized.Name, Row(starts).Name, Row(ends).Name, g.Int64s(2, 3)]);
            var image = g.Op("Pad", Scope, [1, 1, height, width], [window.Name, Row(pads).Name]);
            pasted = GraphOps.Reshape(g, Scope, image, [1, height, width], 1, height, width);
            carried = g.Op("Identity", Scope, [], [condition.Name]);
        }
        var graph = new GraphProto { Name = "paste_mask" };
        graph.Node.AddRange(body);
        graph.Input.Add(DetectorOnnxExport.ValueInfo(iteration.Name, (int)TensorProto.Types.DataType.Int64, []));
        graph.Input.Add(DetectorOnnxExport.ValueInfo(condition.Name, GraphOps.Bool, []));
        graph.Output.Add(DetectorOnnxExport.ValueInfo(carried.Name, GraphOps.Bool, []));
        graph.Output.Add(DetectorOnnxExport.ValueInfo(pasted.Name, (int)TensorProto.Types.DataType.Float, [1, height, width]));
        var stacked = g.Op("Loop", Scope, [GraphOps.Dynamic, 1, height, width], [trips.Name, GraphOps.BoolScalar(g, true)], OnnxAttr.Graph("body", graph));
        var shape = GraphOps.Concat(g, Scope, 0, count, new OnnxValue(g.Int64s(1, height, width), [3]));
        return g.Op("Reshape", Scope, stacked.Dims, [stacked.Name, shape.Name]);
    }
}
