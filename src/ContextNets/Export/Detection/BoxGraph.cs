using ContextNets.Detection.Boxes;

namespace ContextNets.Export.Detection;

/// <summary>
/// Box arithmetic in the graph, in the float32 order of operations of <see cref="BoxCoder"/> and <see cref="BoxOps"/>:
/// decoding codes onto reference boxes, clipping to the image, and the min-size test. Boxes are [..., 4] (x1, y1,
/// x2, y2); a box's (width, height) and (x, y) pairs are handled together as [..., 2] halves.
/// </summary>
internal static class BoxGraph
{
    /// <summary>
    /// BoxCoder.Decode: codes [..., 4] on references whose sizes (w, h) and centres (cx, cy) are [..., 2] values
    /// broadcasting against the codes' halves. px = dx / wx * w + cx; half = 0.5 * (exp(min(dw / ww, clip)) * w).
    /// </summary>
    public static OnnxValue Decode(OnnxGraph g, string scope, OnnxValue codes, string sizes, string centres, BoxWeights weights)
    {
        int last = codes.Rank - 1;
        var shift = GraphOps.Slice(g, scope, codes, last, 0, 2);
        var scale = GraphOps.Slice(g, scope, codes, last, 2, 4);
        if (weights.X != 1f || weights.Y != 1f) shift = GraphOps.Elementwise(g, "Div", scope, shift, GraphOps.Floats(g, scope + ".xy_weights", [weights.X, weights.Y], 2));
        if (weights.W != 1f || weights.H != 1f) scale = GraphOps.Elementwise(g, "Div", scope, scale, GraphOps.Floats(g, scope + ".wh_weights", [weights.W, weights.H], 2));
        scale = GraphOps.Elementwise(g, "Min", scope, scale, g.Scalar(BoxCoder.Clip));
        var moved = GraphOps.Elementwise(g, "Add", scope, GraphOps.Elementwise(g, "Mul", scope, shift, sizes), centres);
        var stretched = GraphOps.Elementwise(g, "Mul", scope, GraphOps.Op(g, "Exp", scope, scale.Dims, scale.Name), sizes);
        var half = GraphOps.Elementwise(g, "Mul", scope, stretched, g.Scalar(0.5f));
        return GraphOps.Concat(g, scope, last,
            GraphOps.Elementwise(g, "Sub", scope, moved, half.Name), GraphOps.Elementwise(g, "Add", scope, moved, half.Name));
    }

    /// <summary>The (w, h) and centre (cx, cy) halves [..., 2] of boxes [..., 4]: w = x2 - x1, cx = x1 + 0.5 * w.</summary>
    public static (OnnxValue sizes, OnnxValue centres) SizesAndCentres(OnnxGraph g, string scope, OnnxValue boxes)
    {
        int last = boxes.Rank - 1;
        var low = GraphOps.Slice(g, scope, boxes, last, 0, 2);
        var sizes = GraphOps.Elementwise(g, "Sub", scope, GraphOps.Slice(g, scope, boxes, last, 2, 4), low.Name);
        var centres = GraphOps.Elementwise(g, "Add", scope, low, GraphOps.Elementwise(g, "Mul", scope, sizes, g.Scalar(0.5f)).Name);
        return (sizes, centres);
    }

    /// <summary>
    /// The (w, h) and centre constants of fixed reference boxes (the anchors), computed here with the same float32
    /// operations as the graph's <c>SizesAndCentres</c>, as [K, 2] each.
    /// </summary>
    public static (float[] sizes, float[] centres) SizesAndCentres(ReadOnlySpan<float> boxes)
    {
        int k = BoxOps.Count(boxes);
        float[] sizes = new float[2 * k], centres = new float[2 * k];
        for (int i = 0; i < k; i++)
            for (int c = 0; c < 2; c++)
            {
                sizes[2 * i + c] = boxes[4 * i + 2 + c] - boxes[4 * i + c];
                centres[2 * i + c] = boxes[4 * i + c] + 0.5f * sizes[2 * i + c];
            }
        return (sizes, centres);
    }

    /// <summary>BoxOps.Clip: every coordinate clamped into [0, width] (x) or [0, height] (y).</summary>
    public static OnnxValue Clip(OnnxGraph g, string scope, OnnxValue boxes, int height, int width)
    {
        var floor = GraphOps.Elementwise(g, "Max", scope, boxes, g.Scalar(0f));
        return GraphOps.Elementwise(g, "Min", scope, floor, GraphOps.Floats(g, scope + ".image", [width, height, width, height], 4));
    }

    /// <summary>BoxOps.LargeEnough as a mask over boxes [..., 4]: width and height both at least <paramref name="minSize"/>.</summary>
    public static OnnxValue LargeEnough(OnnxGraph g, string scope, OnnxValue boxes, float minSize)
    {
        int last = boxes.Rank - 1;
        var sizes = GraphOps.Elementwise(g, "Sub", scope, GraphOps.Slice(g, scope, boxes, last, 2, 4), GraphOps.Slice(g, scope, boxes, last, 0, 2).Name);
        var wide = GraphOps.Op(g, "GreaterOrEqual", scope, sizes.Dims, sizes.Name, g.Scalar(minSize));
        var w = GraphOps.Slice(g, scope, wide, last, 0, 1);
        var h = GraphOps.Slice(g, scope, wide, last, 1, 2);
        var both = GraphOps.And(g, scope, w, h);
        return g.Op("Squeeze", scope, [.. both.Dims.Take(last)], [both.Name, g.Int64s(last)]);
    }
}

/// <summary>A box coder's weights (wx, wy, ww, wh): 1, 1, 1, 1 for the RPN, 10, 10, 5, 5 for the box head.</summary>
internal readonly record struct BoxWeights(float X, float Y, float W, float H)
{
    public static BoxWeights Rpn => new(1f, 1f, 1f, 1f);
    public static BoxWeights RoiHeads => new(10f, 10f, 5f, 5f);
}
