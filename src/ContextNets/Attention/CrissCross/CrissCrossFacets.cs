using ContextNets.Export;
using ContextNets.Export.Emit;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>The criss-cross block's facets: its cost, its ONNX graph, its inference step and what it captures.</summary>
public sealed partial class CrissCross : IBlockFacets
{
    string IBlockFacets.BlockName => "cca";

    AttentionKind IBlockFacets.Captures => AttentionKind.Pairwise;

    /// <summary>
    /// Per pass, with P = H W positions and H + W - 1 keys per query: the three 1x1 projections (2 C Cq + C^2 MACs per
    /// position), the logits (Cq MACs per key) and the weighted sum of v (C per key) as multiply-adds; the softmax
    /// (max, exp, sum, divide over H + W keys), the bias adds, gamma's scale and the residual as elementwise work.
    /// </summary>
    (Shape output, OpCount ops) IBlockFacets.Cost(Shape input, IChildCosts children)
    {
        if (input.Rank != 4 || input[1] != Channels) throw new ArgumentException($"CrissCross: expected input [N, {Channels}, H, W], got {input}.");
        long n = input[0], c = Channels, cq = KeyChannels, p = (long)input[2] * input[3], keys = input[2] + input[3] - 1;
        var perPass = new OpCount(p * (2 * c * cq + c * c) + p * keys * (cq + c), p * (2 * cq + c) + 4 * p * (keys + 1) + 2 * c * p);
        return (input, new OpCount(n * Recurrence * perPass.Macs, n * Recurrence * perPass.OtherOps));
    }

    /// <summary>
    /// Each pass as standard ONNX ops: the 1x1 convs (their weights written once, read by every pass), the column
    /// logits [N, W, H, H] with the -1e30 diagonal that masks each position out of its own column, the row logits
    /// [N, H, W, W], one Softmax over their concatenation, the two weighted sums by MatMul, and gamma x sum + x.
    /// </summary>
    OnnxValue IBlockFacets.EmitOnnx(OnnxGraph g, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != Channels)
            throw new ArgumentException($"ONNX export at {path}: CrissCross expects [N, {Channels}, H, W], got {x.Shape}.");
        int n = x.Dims[0], c = Channels, h = x.Dims[2], w = x.Dims[3];
        string P(string name) => ModuleEmitter.Join(path, name);
        var weights = new[] { (QueryConv, "query_conv"), (KeyConv, "key_conv"), (ValueConv, "value_conv") }
            .Select(p => (p.Item1.OutChannels, P(p.Item2), g.Weights(P(p.Item2) + ".weight", p.Item1.Weight), g.Weights(P(p.Item2) + ".bias", p.Item1.Bias!)))
            .ToArray();
        // A finite stand-in for -inf (initializers must be finite): any logit plus -1e30 still exps to exactly 0.
        var mask = new float[h * h];
        for (int i = 0; i < h; i++) mask[i * h + i] = -1e30f;
        string diagonal = g.Weights(P("column_mask"), mask, h, h);
        float gamma = Gamma.Item();

        for (int r = 0; r < Recurrence; r++)
        {
            var (q, k, v) = (Project(g, weights[0], x), Project(g, weights[1], x), Project(g, weights[2], x));
            string s = P("pass" + r);
            var column = Ops.MatMul(g, s, Ops.Transpose(g, s, q, 0, 3, 2, 1), Ops.Transpose(g, s, k, 0, 3, 1, 2));
            column = Ops.Transpose(g, s, Ops.Binary(g, "Add", s, column, new OnnxValue(diagonal, [h, h])), 0, 2, 1, 3);
            var row = Ops.MatMul(g, s, Ops.Transpose(g, s, q, 0, 2, 3, 1), Ops.Transpose(g, s, k, 0, 2, 1, 3));
            var logits = g.Op("Concat", s, [n, h, w, h + w], [column.Name, row.Name], OnnxAttr.Int("axis", 3));
            var parts = g.Ops("Split", s, [[n, h, w, h], [n, h, w, w]], [Ops.Softmax(g, s, logits, 3).Name, g.Int64s(h, w)], OnnxAttr.Int("axis", 3));
            var fromColumn = Ops.MatMul(g, s, Ops.Transpose(g, s, parts[0], 0, 2, 1, 3), Ops.Transpose(g, s, v, 0, 3, 2, 1));
            var fromRow = Ops.MatMul(g, s, parts[1], Ops.Transpose(g, s, v, 0, 2, 3, 1));
            var sum = Ops.Binary(g, "Add", s, Ops.Transpose(g, s, fromColumn, 0, 3, 2, 1), Ops.Transpose(g, s, fromRow, 0, 3, 1, 2));
            x = Ops.Binary(g, "Add", s, Ops.Scale(g, s, sum, gamma), x);
        }
        if (x.Dims[1] != c) throw new InvalidOperationException($"ONNX export at {path}: the block gives {x.Shape}.");
        return x;
    }

    private static OnnxValue Project(OnnxGraph g, (int outChannels, string scope, string weight, string bias) conv, OnnxValue x) =>
        g.Op("Conv", conv.scope, [x.Dims[0], conv.outChannels, x.Dims[2], x.Dims[3]], [x.Name, conv.weight, conv.bias],
            OnnxAttr.Ints("kernel_shape", 1, 1), OnnxAttr.Ints("strides", 1, 1), OnnxAttr.Ints("pads", 0, 0, 0, 0),
            OnnxAttr.Ints("dilations", 1, 1), OnnxAttr.Int("group", 1));

    /// <summary>Nothing to fold (no BatchNorm): the block runs itself, its fused op in float64 as in training.</summary>
    IStep IBlockFacets.FoldForInference() => new ModuleStep(this);
}
