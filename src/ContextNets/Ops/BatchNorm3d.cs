using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Batch normalization of clips x [N, C, D, H, W] per channel, as torch.nn.functional.batch_norm on 5-D input.
    /// The statistics run over N, D, H and W, so the clip is normalized as the map [N, C, D*H, W] it is in memory
    /// (both clip layouts fold depth into height without a copy) by <see cref="BatchNorm2d"/>, whose kernels and
    /// running-statistics update it shares. The output lies as the 2-D op leaves the map (in the 2-D activation layout),
    /// which is N,T,H,W,C under the default layouts, whatever <see cref="Engine.ClipFormat"/>.
    /// </summary>
    public static Tensor BatchNorm3d(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        CheckBatchNorm(x, weight, bias, runningMean, runningVar, training, eps, "batch_norm3d", rank: 5);
        int depth = x.Shape[2];
        var map = FoldDepth(x);
        var y = BatchNorm2d(map, weight, bias, runningMean, runningVar, training, momentum, eps);
        return UnfoldDepth(y, depth);
    }

    /// <summary>[N, C, D, H, W] -> the view [N, C, D*H, W] (a copy into the clip layout first when the depth does not fold).</summary>
    internal static Tensor FoldDepth(Tensor x)
    {
        var y = FoldDepthNoGrad(x);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "fold_depth", [x], gy => [SplitHeight(gy, x.Shape[2])]);
    }

    /// <summary>[N, C, D*H, W] -> the view [N, C, D, H, W]; the inverse of <see cref="FoldDepth"/>.</summary>
    internal static Tensor UnfoldDepth(Tensor y, int depth)
    {
        var clip = SplitHeight(y, depth);
        if (!Tape.ShouldRecord(y)) return clip;
        return Tape.Record(clip, "unfold_depth", [y], gy => [FoldDepthNoGrad(gy)]);
    }

    private static Tensor FoldDepthNoGrad(Tensor x)
    {
        var s = x.Shape;
        var format = x.IsIn(MemoryFormat.ChannelsLast) ? MemoryFormat.ChannelsLast : x.IsContiguous ? MemoryFormat.Contiguous : Engine.ClipFormat;
        using var dense = Materialize(x, format);
        // The layout's own strides, not the tensor's: size-1 dimensions may carry any stride, and these fold for certain.
        var st = Tensor.StridesFor(s, format);
        return dense.View(new Shape(s[0], s[1], s[2] * s[3], s[4]), [st[0], st[1], st[3], st[4]]);
    }

    // Splitting one dimension into two is a view for any strides.
    private static Tensor SplitHeight(Tensor t, int depth)
    {
        var s = t.Shape;
        if (s[2] % depth != 0) throw new ArgumentException($"unfold_depth: height {s[2]} of {s} does not split into depth {depth}.");
        int h = s[2] / depth;
        var st = t.Strides;
        return t.View(new Shape(s[0], s[1], depth, h, s[3]), [st[0], st[1], st[2] * h, st[2], st[3]]);
    }
}
