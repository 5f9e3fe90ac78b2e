namespace ContextNets.Backend.Dnnl;

/// <summary>The numbers that define a 2-D convolution, checked once.</summary>
internal readonly record struct ConvGeometry(
    int N, int Cin, int H, int W, int Cout, int Kh, int Kw,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups)
{
    // Floor division: C# truncates toward zero, which would report a size of 1 when the kernel does not fit at all.
    public int OutH => (int)Math.Floor((double)(H + 2 * PadH - DilationH * (Kh - 1) - 1) / StrideH) + 1;
    public int OutW => (int)Math.Floor((double)(W + 2 * PadW - DilationW * (Kw - 1) - 1) / StrideW) + 1;
    public Shape OutShape => new(N, Cout, OutH, OutW);

    public int[] WeightDims => Groups == 1 ? [Cout, Cin, Kh, Kw] : [Groups, Cout / Groups, Cin / Groups, Kh, Kw];
    public int[] PlainWeightStrides => Groups == 1
        ? [Cin * Kh * Kw, Kh * Kw, Kw, 1]
        : [Cout / Groups * Cin / Groups * Kh * Kw, Cin / Groups * Kh * Kw, Kh * Kw, Kw, 1];

    public long Flops => 2L * N * Cout * OutH * OutW * (Cin / Groups) * Kh * Kw;

    public void AddTo(ref PrimitiveKey.Builder key) =>
        key.Add([N, Cin, H, W, Cout, Kh, Kw, StrideH, StrideW, PadH, PadW, DilationH, DilationW, Groups]);
}
