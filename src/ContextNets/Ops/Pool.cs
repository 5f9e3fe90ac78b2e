using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// 2-D max pooling as torch.nn.functional.max_pool2d (floor mode): x [N, C, H, W];
    /// stride defaults to the kernel. The output is in the engine's activation layout.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0, int dilation = 1) =>
        MaxPool2d(x, (kernel, kernel), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation));

    public static Tensor MaxPool2d(Tensor x, (int h, int w) kernel, (int h, int w)? stride = null, (int h, int w) padding = default, (int h, int w)? dilation = null)
    {
        var g = PoolGeometryOf("max_pool2d", x, kernel, stride ?? kernel, padding, dilation ?? (1, 1), Alg.PoolingMax);
        var y = Tensor.Empty(g.OutShape, g.Format);
        bool record = Tape.ShouldRecord(x);
        // Only training needs the workspace (where each maximum was); inference runs without one.
        var workspace = DnnlPool.Forward(g, x, y, training: record);
        if (!record) return y;
        return Tape.Record(y, "max_pool2d", [x], gy =>
        {
            if (workspace!.IsDisposed)
                throw new InvalidOperationException($"max_pool2d {x.Shape}: the forward's workspace is gone (freed by a first backward or by the end of its scope); run the forward again.");
            var gx = Tensor.Empty(x.Shape, g.Format);
            DnnlPool.Backward(g, gy, workspace, gx);
            workspace.Dispose();
            return [gx];
        });
    }

    /// <summary>
    /// 2-D average pooling as torch.nn.functional.avg_pool2d. With
    /// <paramref name="countIncludePad"/> the zero padding counts in the divisor. With
    /// <paramref name="ceilMode"/> the output size rounds up, keeping a last partial window
    /// (timm's avg-down shortcut uses it, with countIncludePad false, for odd sizes).
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false) =>
        AvgPool2d(x, (kernel, kernel), stride is { } s ? (s, s) : null, (padding, padding), countIncludePad, ceilMode);

    public static Tensor AvgPool2d(Tensor x, (int h, int w) kernel, (int h, int w)? stride = null, (int h, int w) padding = default,
        bool countIncludePad = true, bool ceilMode = false)
    {
        int alg = countIncludePad ? Alg.PoolingAvgIncludePadding : Alg.PoolingAvgExcludePadding;
        var g = PoolGeometryOf("avg_pool2d", x, kernel, stride ?? kernel, padding, (1, 1), alg, ceilMode);
        // PyTorch's divisor for a partial last window counts the symmetric padding but not the ceil overhang;
        // oneDNN would count the whole kernel, so that one combination is refused rather than computed differently.
        if (countIncludePad && (g.PadBottom > g.PadH || g.PadRight > g.PadW))
            throw new NotSupportedException($"avg_pool2d: ceil mode with countIncludePad over input {x.Shape} (kernel {kernel}, stride {stride ?? kernel}, padding {padding}) " +
                                            "leaves a partial last window whose divisor oneDNN does not count as PyTorch does; use countIncludePad: false.");
        var y = Tensor.Empty(g.OutShape, g.Format);
        bool record = Tape.ShouldRecord(x);
        DnnlPool.Forward(g, x, y, training: false);
        if (!record) return y;
        return Tape.Record(y, "avg_pool2d", [x], gy =>
        {
            var gx = Tensor.Empty(x.Shape, g.Format);
            DnnlPool.Backward(g, gy, null, gx);
            return [gx];
        });
    }

    /// <summary>The mean over H and W: [N, C, H, W] -> [N, C, 1, 1].</summary>
    public static Tensor GlobalAvgPool2d(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"global_avg_pool2d expects input [N, C, H, W], got {x.Shape}.");
        if (x.Shape[2] < 1 || x.Shape[3] < 1) throw new ArgumentException($"global_avg_pool2d: input {x.Shape} has no positions to average.");
        return Mean(x, [2, 3], keepDim: true);
    }

    private static PoolGeometry PoolGeometryOf(string op, Tensor x, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int alg,
        bool ceilMode = false)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op} expects input [N, C, H, W], got {x.Shape}.");
        if (kernel.h < 1 || kernel.w < 1 || stride.h < 1 || stride.w < 1 || dilation.h < 1 || dilation.w < 1)
            throw new ArgumentException($"{op}: kernel {kernel}, stride {stride} and dilation {dilation} must be positive (input {x.Shape}).");
        if (padding.h < 0 || padding.w < 0 || padding.h > kernel.h / 2 || padding.w > kernel.w / 2)
            throw new ArgumentException($"{op}: padding {padding} must be between 0 and half the kernel {kernel} (input {x.Shape}).");
        var g = new PoolGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], kernel.h, kernel.w,
            stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, alg, Engine.ActivationFormat, ceilMode);
        if (!g.Fits || g.OutH < 1 || g.OutW < 1)
            throw new ArgumentException($"{op}: input {x.Shape} is too small for a {kernel.h}x{kernel.w} kernel with padding {padding}, dilation {dilation}, stride {stride}.");
        return g;
    }
}
