using ContextNets.Export;
using ContextNets.Export.Emit;
using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// The ONNX of the radix attention that split attention and selective kernels share: R radix-major maps U_r (pre-activations through ReLU), their sum pooled
/// to [N, C, 1, 1], the gate MLP (fc1 with its BatchNorm, ReLU, fc2), rSoftMax over the R splits (a sigmoid when
/// R = 1), and out = sum_r a_r U_r, with the R splits as axis 1 of a [N, R, C, H, W] view.
/// </summary>
internal static class RadixOnnx
{
    /// <summary>The gate MLP's layers and their paths in the model.</summary>
    public sealed record Gate(Conv2d Fc1, string Fc1Path, BatchNorm2d Bn, string BnPath, Conv2d Fc2, string Fc2Path);

    /// <summary>The attention over u [N, R*C, H, W] (already through ReLU), with fc2's outputs cardinality-major as timm's RadixSoftmax reads them.</summary>
    public static OnnxValue Attend(OnnxGraph g, string path, OnnxValue u, int radix, int groups, Gate gate)
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
