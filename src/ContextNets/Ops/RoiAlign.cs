using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// torchvision.ops.roi_align: features x [N, C, H, W] pooled over boxes rois [K, 5] (batch index, x1, y1, x2, y2 in
    /// image coordinates, scaled by <paramref name="spatialScale"/>) into [K, C, pooledH, pooledW]. Gradients flow to x
    /// only, as in torchvision: the boxes are constants of the pooling.
    /// </summary>
    public static Tensor RoiAlign(Tensor x, Tensor rois, (int h, int w) pooled, float spatialScale, int samplingRatio, bool aligned = false)
    {
        if (x.Rank != 4) throw new ArgumentException($"roi_align: expected features [N, C, H, W], got {x.Shape}.");
        if (rois.Rank != 2 || rois.Shape[1] != 5) throw new ArgumentException($"roi_align: expected boxes [K, 5], got {rois.Shape}.");
        if (pooled.h < 1 || pooled.w < 1) throw new ArgumentException($"roi_align: the pooled size {pooled} must be positive.");
        if (!(spatialScale > 0)) throw new ArgumentException($"roi_align: the spatial scale {spatialScale} must be positive.");
        var g = new RoiAlignKernels.Geometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], pooled.h, pooled.w, spatialScale, samplingRatio, aligned);
        return new RoiAlignOp(x, rois, g).Apply(x);
    }
}

/// <summary>One application of <see cref="F.RoiAlign"/>: the boxes are kept for the backward, which scatters into x.</summary>
internal sealed unsafe class RoiAlignOp(Tensor x, Tensor rois, RoiAlignKernels.Geometry g) : FusedOp
{
    private readonly int _k = rois.Shape[0];

    public override string Name => "roi_align";

    protected override Tensor Forward()
    {
        var y = Tensor.Empty([_k, g.C, g.PooledH, g.PooledW]);
        using var xs = F.Materialize(x, MemoryFormat.Contiguous);
        using var rs = F.Materialize(rois, MemoryFormat.Contiguous);
        for (int r = 0; r < _k; r++)
        {
            float batch = rs.Data[r * 5];
            if (!(batch >= 0 && batch < g.N && batch == MathF.Floor(batch)))
                throw new ArgumentException($"roi_align: box {r} names image {batch}, but the batch has {g.N}.");
        }
        RoiAlignKernels.Forward(xs.Data, rs.Data, _k, g, y.Data);
        return y;
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        using var gy = F.Materialize(gradOutput, MemoryFormat.Contiguous);
        using var rs = F.Materialize(rois, MemoryFormat.Contiguous);
        var gx = Tensor.Zeros(x.Shape);
        RoiAlignKernels.Backward(gy.Data, rs.Data, _k, g, gx.Data);
        return [gx];
    }
}
