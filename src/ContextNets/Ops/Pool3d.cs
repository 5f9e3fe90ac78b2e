using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// 3-D max pooling as torch.nn.functional.max_pool3d (floor mode): x [N, C, D, H, W]; stride defaults to the kernel.
    /// The output is in the engine's clip layout.
    /// </summary>
    public static Tensor MaxPool3d(Tensor x, (int d, int h, int w) kernel, (int d, int h, int w)? stride = null, (int d, int h, int w) padding = default)
    {
        var g = Pool3dGeometryOf("max_pool3d", x, kernel, stride ?? kernel, padding, Alg.PoolingMax);
        var y = Tensor.Empty(g.OutShape, g.Format);
        bool record = Tape.ShouldRecord(x);
        var workspace = DnnlPool3d.Forward(g, x, y, training: record);
        if (!record) return y;
        return Tape.Record(y, "max_pool3d", [x], gy =>
        {
            if (workspace!.IsDisposed)
                throw new InvalidOperationException($"max_pool3d {x.Shape}: the forward's workspace is gone (freed by a first backward or by the end of its scope); run the forward again.");
            var gx = Tensor.Empty(x.Shape, g.Format);
            DnnlPool3d.Backward(g, gy, workspace, gx);
            workspace.Dispose();
            return [gx];
        });
    }

    /// <summary>3-D average pooling as torch.nn.functional.avg_pool3d (floor mode); with <paramref name="countIncludePad"/> the zero padding counts in the divisor.</summary>
    public static Tensor AvgPool3d(Tensor x, (int d, int h, int w) kernel, (int d, int h, int w)? stride = null, (int d, int h, int w) padding = default,
        bool countIncludePad = true)
    {
        int alg = countIncludePad ? Alg.PoolingAvgIncludePadding : Alg.PoolingAvgExcludePadding;
        var g = Pool3dGeometryOf("avg_pool3d", x, kernel, stride ?? kernel, padding, alg);
        var y = Tensor.Empty(g.OutShape, g.Format);
        DnnlPool3d.Forward(g, x, y, training: false);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "avg_pool3d", [x], gy =>
        {
            var gx = Tensor.Empty(x.Shape, g.Format);
            DnnlPool3d.Backward(g, gy, null, gx);
            return [gx];
        });
    }

    /// <summary>The mean over D, H and W: [N, C, D, H, W] -> [N, C, 1, 1, 1] (torch's AdaptiveAvgPool3d((1, 1, 1))).</summary>
    public static Tensor GlobalAvgPool3d(Tensor x)
    {
        if (x.Rank != 5) throw new ArgumentException($"global_avg_pool3d expects input [N, C, D, H, W], got {x.Shape}.");
        if (x.Shape[2] < 1 || x.Shape[3] < 1 || x.Shape[4] < 1) throw new ArgumentException($"global_avg_pool3d: input {x.Shape} has no positions to average.");
        return Mean(x, [2, 3, 4], keepDim: true);
    }

    /// <summary>The maximum over D, H and W: [N, C, D, H, W] -> [N, C, 1, 1, 1], as a max pooling whose window is the whole clip.</summary>
    public static Tensor GlobalMaxPool3d(Tensor x)
    {
        if (x.Rank != 5) throw new ArgumentException($"global_max_pool3d expects input [N, C, D, H, W], got {x.Shape}.");
        return MaxPool3d(x, (x.Shape[2], x.Shape[3], x.Shape[4]));
    }

    private static Pool3dGeometry Pool3dGeometryOf(string op, Tensor x, (int d, int h, int w) kernel, (int d, int h, int w) stride, (int d, int h, int w) padding, int alg)
    {
        if (x.Rank != 5) throw new ArgumentException($"{op} expects input [N, C, D, H, W], got {x.Shape}.");
        if (Math.Min(kernel.d, Math.Min(kernel.h, kernel.w)) < 1 || Math.Min(stride.d, Math.Min(stride.h, stride.w)) < 1)
            throw new ArgumentException($"{op}: kernel {kernel} and stride {stride} must be positive (input {x.Shape}).");
        if (padding.d < 0 || padding.h < 0 || padding.w < 0 || padding.d > kernel.d / 2 || padding.h > kernel.h / 2 || padding.w > kernel.w / 2)
            throw new ArgumentException($"{op}: padding {padding} must be between 0 and half the kernel {kernel} (input {x.Shape}).");
        var g = new Pool3dGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], x.Shape[4], kernel, stride, padding, alg, Engine.ClipFormat);
        if (!g.Fits) throw new ArgumentException($"{op}: input {x.Shape} is too small for a {kernel.d}x{kernel.h}x{kernel.w} kernel with padding {padding}.");
        return g;
    }
}
