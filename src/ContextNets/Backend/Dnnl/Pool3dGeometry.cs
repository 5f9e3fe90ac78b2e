namespace ContextNets.Backend.Dnnl;

/// <summary>
/// The numbers that define a 3-D pooling over clips [N, C, D, H, W] (floor mode, symmetric padding as PyTorch's),
/// checked once, with the algorithm and the clips' layout.
/// </summary>
internal readonly record struct Pool3dGeometry(
    int N, int C, int D, int H, int W, (int d, int h, int w) Kernel, (int d, int h, int w) Stride, (int d, int h, int w) Pad,
    int Alg, MemoryFormat Format)
{
    public int OutD => OutSize(D, Kernel.d, Stride.d, Pad.d);
    public int OutH => OutSize(H, Kernel.h, Stride.h, Pad.h);
    public int OutW => OutSize(W, Kernel.w, Stride.w, Pad.w);
    public Shape InShape => new(N, C, D, H, W);
    public Shape OutShape => new(N, C, OutD, OutH, OutW);

    /// <summary>False when even the first window does not fit in the padded input (the floor division would hide it).</summary>
    public bool Fits => D + 2 * Pad.d >= Kernel.d && H + 2 * Pad.h >= Kernel.h && W + 2 * Pad.w >= Kernel.w;

    public void AddTo(ref PrimitiveKey.Builder key) =>
        key.Add([N, C, D, H, W, Kernel.d, Kernel.h, Kernel.w, Stride.d, Stride.h, Stride.w, Pad.d, Pad.h, Pad.w, Alg, (int)Format]);

    /// <summary>oneDNN's pooling_v2 arguments in its order (strides, kernel, dilations from 0, left and right padding), each over d, h, w.</summary>
    public unsafe void Spatial(long* buf)
    {
        buf[0] = Stride.d; buf[1] = Stride.h; buf[2] = Stride.w;
        buf[3] = Kernel.d; buf[4] = Kernel.h; buf[5] = Kernel.w;
        buf[6] = 0; buf[7] = 0; buf[8] = 0;
        buf[9] = Pad.d; buf[10] = Pad.h; buf[11] = Pad.w;
        buf[12] = RightPad(D, OutD, Kernel.d, Stride.d, Pad.d);
        buf[13] = RightPad(H, OutH, Kernel.h, Stride.h, Pad.h);
        buf[14] = RightPad(W, OutW, Kernel.w, Stride.w, Pad.w);
    }

    public override string ToString() =>
        $"{(Alg == Dnnl.Alg.PoolingMax ? "max" : "average")} pooling {N}x{C}x{D}x{H}x{W} ({Kernel.d}x{Kernel.h}x{Kernel.w}, stride {Stride}, pad {Pad})";

    private static int OutSize(int size, int k, int stride, int pad) => (size + 2 * pad - k) / stride + 1;

    // The floor rounding may leave the last rows of the padded input unread: the right padding covers exactly what is read.
    private static long RightPad(int size, int outSize, int k, int stride, int pad) => (outSize - 1) * stride + k - size - pad;
}
