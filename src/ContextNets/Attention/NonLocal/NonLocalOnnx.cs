using ContextNets.Export;
using ContextNets.Export.Emit;

namespace ContextNets.Attention;

/// <summary>
/// The ONNX of the non-local block on a 2-D map, positions-major: theta [N, Np, K], phi [N, K, Np'], g [N, Np', inner] from 1x1
/// convs (phi and g max-pooled 2x2 with sub_sample; theta = phi = x in gaussian mode), the pairwise map f
/// [N, Np, Np'] by mode, y = f g back to [N, inner, H, W], then conv_out (with its BatchNorm when the block has one)
/// and the residual sum. A clip [N, C, T, H, W] is the map [N, C, T*H, W] (a reshape), as the module folds it, and
/// its sub-sampling pools (1, 2, 2) inside each frame on the clip itself.
/// </summary>
internal static class NonLocalOnnx
{
    public static OnnxValue Emit(OnnxGraph g, NonLocal nl, string path, OnnxValue x)
    {
        if (x.Rank == 5) return Clip(g, nl, path, x);
        if (x.Rank != 4)
            throw new NotSupportedException($"ONNX export at {path}: the non-local block is exported on maps [N, C, H, W] and clips [N, C, T, H, W]; the input is {x.Shape}.");
        return Map(g, nl, path, x, frames: 1);
    }

    private static OnnxValue Clip(OnnxGraph g, NonLocal nl, string path, OnnxValue x)
    {
        int[] clip = x.Dims;
        var map = Ops.Reshape(g, path, x, clip[0], clip[1], clip[2] * clip[3], clip[4]);
        return Ops.Reshape(g, path, Map(g, nl, path, map, frames: clip[2]), clip);
    }

    /// <summary>The block on the map [N, C, T*H, W] of <paramref name="frames"/> frames (1 for an image).</summary>
    private static OnnxValue Map(OnnxGraph g, NonLocal nl, string path, OnnxValue x, int frames)
    {
        if (x.Dims[1] != nl.Channels)
            throw new ArgumentException($"ONNX export at {path}: NonLocal expects [N, {nl.Channels}, H, W], got {x.Shape}.");
        if (nl.SubSample && (x.Dims[2] / frames < 2 || x.Dims[3] < 2))
            throw new ArgumentException($"ONNX export at {path}: NonLocal with sub_sample needs H and W of at least 2, got {x.Shape}.");
        string P(string name) => ModuleEmitter.Join(path, name);
        int n = x.Dims[0], c = x.Dims[1], h = x.Dims[2], w = x.Dims[3], positions = h * w, inner = nl.Inner;
        OnnxValue Pool(OnnxValue t, string scope) => !nl.SubSample ? t
            : frames == 1 ? Ops.MaxPool(g, scope, t, 2, 2, 0)
            : Ops.Reshape(g, scope, Layers3d.MaxPool(g, scope, Ops.Reshape(g, scope, t, n, t.Dims[1], frames, h / frames, w), (1, 2, 2), (1, 2, 2)), n, t.Dims[1], frames * (h / frames / 2), w / 2);
        OnnxValue Rows(OnnxValue t, string scope) => Ops.Reshape(g, scope, t, n, t.Dims[1], t.Dims[2] * t.Dims[3]);

        var gv = Pool(Layers.Conv(g, nl.G, P("g"), null, x), P("g"));
        int keys = gv.Dims[2] * gv.Dims[3];
        var values = Ops.Transpose(g, P("g"), Rows(gv, P("g")), 0, 2, 1);
        var (theta, phi) = nl.Mode == Pairwise.Gaussian
            ? (Rows(x, P("theta")), Rows(Pool(x, P("phi")), P("phi")))
            : (Rows(Layers.Conv(g, nl.Theta!, P("theta"), null, x), P("theta")), Rows(Pool(Layers.Conv(g, nl.Phi!, P("phi"), null, x), P("phi")), P("phi")));
        theta = Ops.Transpose(g, P("theta"), theta, 0, 2, 1);

        var f = nl.Mode == Pairwise.Concatenation ? Concatenation(g, nl, P("concat_project"), theta, phi) : Ops.MatMul(g, P("pairwise"), theta, phi);
        if (nl.Mode is Pairwise.Concatenation or Pairwise.DotProduct) f = Ops.Scale(g, P("pairwise"), f, 1f / keys);
        else
        {
            if (nl.Params.LogitScale != 1f) f = Ops.Scale(g, P("pairwise"), f, nl.Params.LogitScale);
            f = Ops.Softmax(g, P("pairwise"), f, 2);
        }

        var y = Ops.Transpose(g, P("y"), Ops.MatMul(g, P("y"), f, values), 0, 2, 1);
        y = Ops.Reshape(g, P("y"), y, n, inner, h, w);
        var o = Layers.ConvBn(g, nl.ConvOut, P("conv_out"), nl.Norm, P("norm"), y, relu: false);
        if (o.Dims[1] != c) throw new InvalidOperationException($"ONNX export at {path}: conv_out gives {o.Shape} for input {x.Shape}.");
        return Ops.Binary(g, "Add", path, x, o);
    }

    /// <summary>ReLU(w_theta . theta_i + w_phi . phi_j): concat_project's two halves as two products and a broadcast sum, never the [N, 2K, Np, Np'] concatenation.</summary>
    private static OnnxValue Concatenation(OnnxGraph g, NonLocal nl, string path, OnnxValue theta, OnnxValue phi)
    {
        int k = nl.Inner;
        var wAll = nl.ConcatProject!.Weight.ToArray();
        var queries = Ops.MatMul(g, path, theta, new OnnxValue(g.Weights(path + ".weight_theta", wAll.AsSpan(0, k), k, 1), [k, 1]));
        var keys = Ops.MatMul(g, path, new OnnxValue(g.Weights(path + ".weight_phi", wAll.AsSpan(k, k), 1, k), [1, k]), phi);
        return Ops.Relu(g, path, Ops.Binary(g, "Add", path, queries, keys));
    }
}
