namespace ContextNets.Backend.Dnnl;

/// <summary>The numbers that define a 2-D pooling, checked once, with the activation layout its tensors use.</summary>
internal readonly record struct PoolGeometry(
    int N, int C, int H, int W, int Kh, int Kw,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Alg, MemoryFormat Format)
{
    public int OutH => (H + 2 * PadH - DilationH * (Kh - 1) - 1) / StrideH + 1;
    public int OutW => (W + 2 * PadW - DilationW * (Kw - 1) - 1) / StrideW + 1;
    public Shape InShape => new(N, C, H, W);
    public Shape OutShape => new(N, C, OutH, OutW);

    /// <summary>False when even the first window does not fit in the padded input (the integer division above would hide it).</summary>
    public bool Fits => H + 2 * PadH >= DilationH * (Kh - 1) + 1 && W + 2 * PadW >= DilationW * (Kw - 1) + 1;

    public void AddTo(ref PrimitiveKey.Builder key) =>
        key.Add([N, C, H, W, Kh, Kw, StrideH, StrideW, PadH, PadW, DilationH, DilationW, Alg, (int)Format]);
}
