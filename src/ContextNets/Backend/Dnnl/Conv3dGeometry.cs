namespace ContextNets.Backend.Dnnl;

/// <summary>The numbers that define a 3-D convolution over clips [N, C, D, H, W], checked once, with the clips' layout.</summary>
internal readonly record struct Conv3dGeometry(
    int N, int Cin, int D, int H, int W, int Cout, (int d, int h, int w) Kernel,
    (int d, int h, int w) Stride, (int d, int h, int w) Pad, (int d, int h, int w) Dilation, int Groups, MemoryFormat Format)
{
    public int OutD => OutSize(D, Kernel.d, Stride.d, Pad.d, Dilation.d);
    public int OutH => OutSize(H, Kernel.h, Stride.h, Pad.h, Dilation.h);
    public int OutW => OutSize(W, Kernel.w, Stride.w, Pad.w, Dilation.w);
    public Shape InShape => new(N, Cin, D, H, W);
    public Shape OutShape => new(N, Cout, OutD, OutH, OutW);

    public int[] WeightDims => Groups == 1
        ? [Cout, Cin, Kernel.d, Kernel.h, Kernel.w]
        : [Groups, Cout / Groups, Cin / Groups, Kernel.d, Kernel.h, Kernel.w];

    public int[] PlainWeightStrides
    {
        get
        {
            int k = Kernel.d * Kernel.h * Kernel.w, hw = Kernel.h * Kernel.w;
            return Groups == 1
                ? [Cin * k, k, hw, Kernel.w, 1]
                : [Cout / Groups * (Cin / Groups) * k, Cin / Groups * k, k, hw, Kernel.w, 1];
        }
    }

    public long Flops => 2L * N * Cout * OutD * OutH * OutW * (Cin / Groups) * Kernel.d * Kernel.h * Kernel.w;

    public void AddTo(ref PrimitiveKey.Builder key) =>
        key.Add([N, Cin, D, H, W, Cout, Kernel.d, Kernel.h, Kernel.w, Stride.d, Stride.h, Stride.w, Pad.d, Pad.h, Pad.w,
            Dilation.d, Dilation.h, Dilation.w, Groups, (int)Format]);

    /// <summary>
    /// oneDNN's spatial arguments in its order (strides, dilations from 0, left padding, right padding), each over d, h, w.
    /// The right padding is whatever makes the output size come out, as PyTorch's floor rounding leaves it.
    /// </summary>
    public unsafe void Spatial(long* buf)
    {
        buf[0] = Stride.d; buf[1] = Stride.h; buf[2] = Stride.w;
        buf[3] = Dilation.d - 1; buf[4] = Dilation.h - 1; buf[5] = Dilation.w - 1;
        buf[6] = Pad.d; buf[7] = Pad.h; buf[8] = Pad.w;
        buf[9] = RightPad(D, OutD, Kernel.d, Stride.d, Pad.d, Dilation.d);
        buf[10] = RightPad(H, OutH, Kernel.h, Stride.h, Pad.h, Dilation.h);
        buf[11] = RightPad(W, OutW, Kernel.w, Stride.w, Pad.w, Dilation.w);
    }

    public override string ToString() =>
        $"{N}x{Cin}x{D}x{H}x{W} -> {Cout} ({Kernel.d}x{Kernel.h}x{Kernel.w}, stride {Stride}, pad {Pad}, dilation {Dilation}, groups {Groups})";

    // Floor division: C# truncates toward zero, which would report a size of 1 when the kernel does not fit at all.
    private static int OutSize(int size, int k, int stride, int pad, int dilation) =>
        (int)Math.Floor((double)(size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;

    private static long RightPad(int size, int outSize, int k, int stride, int pad, int dilation) =>
        (outSize - 1) * stride + dilation * (k - 1) + 1 - size - pad;
}
