using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

// Both layer norms run on oneDNN's layer_normalization, which normalizes the innermost dim of a
// row-major [rows, D] buffer: the last dim of a row-major tensor, or the channels of a channels-last
// [N, C, H, W] (rows = N*H*W). Inputs in another layout are copied into that one first.
public static partial class F
{
    /// <summary>torch.nn.functional.layer_norm over the last dim: weight and bias (may be null) have its size.</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        if (x.Rank < 1) throw new ArgumentException($"layer_norm needs at least one dim, got {x.Shape}.");
        var output = x.Rank == 4 ? Engine.ActivationFormat : MemoryFormat.Contiguous;
        return LayerNormRows("layer_norm", x, weight, bias, eps, MemoryFormat.Contiguous, x.Shape[^1], output);
    }

    /// <summary>timm's LayerNorm2d: normalizes x [N, C, H, W] over C at every position; weight and bias (may be null) are [C].</summary>
    public static Tensor LayerNorm2d(Tensor x, Tensor? weight, Tensor? bias, float eps = 1e-6f)
    {
        if (x.Rank != 4) throw new ArgumentException($"layer_norm2d expects input [N, C, H, W], got {x.Shape}.");
        return LayerNormRows("layer_norm2d", x, weight, bias, eps, MemoryFormat.ChannelsLast, x.Shape[1], Engine.ActivationFormat);
    }

    private static unsafe Tensor LayerNormRows(string op, Tensor x, Tensor? weight, Tensor? bias, float eps, MemoryFormat rowMajor, int d, MemoryFormat output)
    {
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != d))
                throw new ArgumentException($"{op}: {name} {t.Shape} must be [{d}] for input {x.Shape}.");
        if (d < 1) throw new ArgumentException($"{op}: input {x.Shape} has nothing to normalize over.");
        if (!(eps > 0)) throw new ArgumentException($"{op}: eps must be positive, got {eps} (input {x.Shape}).");
        int rows = x.Numel / d;
        var scale = weight?.ToArray() ?? Enumerable.Repeat(1f, d).ToArray();
        var shift = bias?.ToArray() ?? new float[d];
        bool record = Tape.ShouldRecord(x, weight, bias);
        var mean = record ? new float[rows] : null;
        var variance = record ? new float[rows] : null;
        var y = Tensor.Empty(x.Shape, rowMajor);
        using (var src = Materialize(x, rowMajor))
        fixed (float* ps = scale, pb = shift, pm = mean, pv = variance)
            DnnlLayerNorm.Forward(src.Data, y.Data, rows, d, ps, pb, pm, pv, eps, record);
        if (!y.IsIn(output))
        {
            var moved = Materialize(y, output);
            y.Dispose();
            y = moved;
        }
        if (!record) return y;
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Tape.Record(y, op, [.. inputs], gy =>
        {
            using var src = Materialize(x, rowMajor);
            using var g = Materialize(gy, rowMajor);
            var gx = Tensor.Empty(x.Shape, rowMajor);
            var dScale = new float[d];
            var dShift = new float[d];
            fixed (float* ps = scale, pb = shift, pm = mean, pv = variance, pds = dScale, pdb = dShift)
                DnnlLayerNorm.Backward(src.Data, g.Data, gx.Data, rows, d, ps, pb, pm, pv, pds, pdb, eps);
            var grads = new List<Tensor?> { x.RequiresGrad ? gx : null };
            if (!x.RequiresGrad) gx.Dispose();
            if (weight is not null) grads.Add(weight.RequiresGrad ? Tensor.FromArray(dScale, d) : null);
            if (bias is not null) grads.Add(bias.RequiresGrad ? Tensor.FromArray(dShift, d) : null);
            return [.. grads];
        });
    }
}
