using ContextNets.Export;
using ContextNets.Export.Emit;
using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// The ONNX of the blocks that pool one context vector per sample: GC (attention or average pooling, the LayerNorm
/// transform, add and/or scale fusion), and the pieces SNL and SE share with it.
/// </summary>
internal static class ContextOnnx
{
    public static OnnxValue GlobalContext(OnnxGraph g, GlobalContext gc, string path, OnnxValue x)
    {
        Check("GlobalContext", gc.Channels, path, x);
        var ctx = gc.ConvAttn is { } attn ? AttentionPool(g, attn, ModuleEmitter.Join(path, "conv_attn"), x) : Ops.GlobalAveragePool(g, path, x);
        var y = x;
        if (gc.MlpScale is { } scale)
            y = Ops.Binary(g, "Mul", path, y, Ops.Sigmoid(g, path, Mlp(g, scale, ModuleEmitter.Join(path, "mlp_scale"), ctx)));
        if (gc.MlpAdd is { } add)
            y = Ops.Binary(g, "Add", path, y, Mlp(g, add, ModuleEmitter.Join(path, "mlp_add"), ctx));
        return y;
    }

    /// <summary>The GC transform on a context [N, C, 1, 1]: fc1, LayerNorm over the channels, ReLU, fc2.</summary>
    public static OnnxValue Mlp(OnnxGraph g, ConvMlp mlp, string path, OnnxValue ctx)
    {
        var h = Layers.Conv(g, mlp.Fc1, ModuleEmitter.Join(path, "fc1"), null, ctx);
        h = Layers.LayerNorm(g, mlp.Norm.Weight, mlp.Norm.Bias, mlp.Norm.Eps, ModuleEmitter.Join(path, "norm"), h);
        return Layers.Conv(g, mlp.Fc2, ModuleEmitter.Join(path, "fc2"), null, Ops.Relu(g, path, h));
    }

    /// <summary>ctx [N, C, 1, 1] = sum_j softmax_j(conv_attn(x)) x_j: a 1x1 conv to one logit per position, Softmax over the positions, one MatMul.</summary>
    public static OnnxValue AttentionPool(OnnxGraph g, Conv2d convAttn, string path, OnnxValue x)
    {
        int n = x.Dims[0], c = x.Dims[1], hw = x.Dims[2] * x.Dims[3];
        var logits = Ops.Reshape(g, path, Layers.Conv(g, convAttn, path, null, x), n, 1, hw);
        var weights = Ops.Reshape(g, path, Ops.Softmax(g, path, logits, 2), n, hw, 1);
        var pooled = Ops.MatMul(g, path, Ops.Reshape(g, path, x, n, c, hw), weights);
        return Ops.Reshape(g, path, pooled, n, c, 1, 1);
    }

    public static void Check(string block, int channels, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != channels)
            throw new ArgumentException($"ONNX export at {(path.Length == 0 ? "the top" : path)}: {block} expects [N, {channels}, H, W], got {x.Shape}.");
    }
}
