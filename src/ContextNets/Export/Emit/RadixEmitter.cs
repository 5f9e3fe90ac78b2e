using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// Split attention and selective kernels: R radix-major maps U_r (pre-activations through ReLU), their sum pooled
/// to [N, C, 1, 1], the gate MLP (fc1 with its BatchNorm, ReLU, fc2), rSoftMax over the R splits (a sigmoid when
/// R = 1), and out = sum_r a_r U_r, with the R splits as axis 1 of a [N, R, C, H, W] view.
/// </summary>
internal static class RadixEmitter
{
    public static OnnxValue SplitAttention(OnnxGraph g, SplitAttention sa, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != sa.InChannels)
            throw new ArgumentException($"ONNX export at {path}: SplitAttention expects [N, {sa.InChannels}, H, W], got {x.Shape}.");
        var c = ModuleEmitter.Children(sa);
        string P(string name) => ModuleEmitter.Join(path, name);
        var u = Layers.ConvBn(g, (Conv2d)c["conv"], P("conv"), (BatchNorm2d)c["bn0"], P("bn0"), x, relu: true);
        var gate = new Gate((Conv2d)c["fc1"], P("fc1"), (BatchNorm2d)c["bn1"], P("bn1"), (Conv2d)c["fc2"], P("fc2"));
        return Attend(g, path, u, sa.Radix, sa.Groups, gate);
    }

    public static OnnxValue SelectiveKernel(OnnxGraph g, SelectiveKernel sk, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != sk.InChannels)
            throw new ArgumentException($"ONNX export at {path}: SelectiveKernel expects [N, {sk.InChannels}, H, W], got {x.Shape}.");
        var c = ModuleEmitter.Children(sk);
        var paths = (Sequential)c["paths"];
        var attn = ModuleEmitter.Children(c["attn"]);
        string P(string name) => ModuleEmitter.Join(path, name);
        int share = sk.InChannels / sk.Paths;
        var inputs = sk.SplitInput
            ? g.Ops("Split", P("paths"), [.. Enumerable.Repeat<int[]>([x.Dims[0], share, x.Dims[2], x.Dims[3]], sk.Paths)],
                [x.Name, g.Int64s([.. Enumerable.Repeat((long)share, sk.Paths)])], OnnxAttr.Int("axis", 1))
            : [.. Enumerable.Repeat(x, sk.Paths)];
        var outputs = new List<OnnxValue>();
        for (int p = 0; p < sk.Paths; p++)
        {
            var convBn = ModuleEmitter.Children(paths[p]);
            string pp = P($"paths.{p}");
            outputs.Add(Layers.ConvBn(g, (Conv2d)convBn["conv"], pp + ".conv", (BatchNorm2d)convBn["bn"], pp + ".bn", inputs[p], relu: true));
        }
        int[] first = outputs[0].Dims;
        if (outputs.Any(o => !o.Dims.SequenceEqual(first)))
            throw new InvalidOperationException($"ONNX export at {path}: the paths give different shapes ({string.Join(", ", outputs.Select(o => o.Shape))}).");
        var u = g.Op("Concat", P("paths"), [first[0], first[1] * sk.Paths, first[2], first[3]], outputs.Select(o => o.Name), OnnxAttr.Int("axis", 1));
        var gate = new Gate((Conv2d)attn["fc_reduce"], P("attn.fc_reduce"), (BatchNorm2d)attn["bn"], P("attn.bn"), (Conv2d)attn["fc_select"], P("attn.fc_select"));
        return Attend(g, path, u, sk.Paths, 1, gate);
    }

    private sealed record Gate(Conv2d Fc1, string Fc1Path, BatchNorm2d Bn, string BnPath, Conv2d Fc2, string Fc2Path);

    /// <summary>The attention over u [N, R*C, H, W] (already through ReLU), with fc2's outputs cardinality-major as timm's RadixSoftmax reads them.</summary>
    private static OnnxValue Attend(OnnxGraph g, string path, OnnxValue u, int radix, int groups, Gate gate)
    {
        int n = u.Dims[0], c = u.Dims[1] / radix, h = u.Dims[2], w = u.Dims[3];
        var splits = radix > 1 ? Ops.Reshape(g, path, u, n, radix, c, h, w) : u;
        var pooled = Ops.GlobalAveragePool(g, path, radix > 1 ? Ops.ReduceSum(g, path, splits, 1, keepDims: false) : u);
        var hidden = Layers.ConvBn(g, gate.Fc1, gate.Fc1Path, gate.Bn, gate.BnPath, pooled, relu: true);
        var logits = Layers.Conv(g, gate.Fc2, gate.Fc2Path, null, hidden);
        if (radix == 1) return Ops.Binary(g, "Mul", path, u, Ops.Sigmoid(g, path, logits));
        var byGroup = Ops.Transpose(g, path, Ops.Reshape(g, path, logits, n, groups, radix, c / groups), 0, 2, 1, 3);
        var a = Ops.Reshape(g, path, Ops.Softmax(g, path, byGroup, 1), n, radix, c, 1, 1);
        return Ops.ReduceSum(g, path, Ops.Binary(g, "Mul", path, splits, a), 1, keepDims: false);
    }
}
