namespace ContextNets.Backend.Dnnl;

/// <summary>
/// The numbers that define a 2-D pooling, checked once, with the activation layout its tensors use.
/// With <see cref="CeilMode"/> the output size rounds up as PyTorch's ceil_mode does: a last, partial
/// window is kept when it starts inside the input or its left padding.
/// </summary>
internal readonly record struct PoolGeometry(
    int N, int C, int H, int W, int Kh, int Kw,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Alg, MemoryFormat Format, bool CeilMode = false)
{
    public int OutH => OutSize(H, Kh, StrideH, PadH, DilationH, CeilMode);
    public int OutW => OutSize(W, Kw, StrideW, PadW, DilationW, CeilMode);
    public Shape InShape => new(N, C, H, W);
    public Shape OutShape => new(N, C, OutH, OutW);

    /// <summary>The padding at the bottom and right that the output size reaches into: PadH/PadW in floor mode, more when ceil mode keeps a partial window.</summary>
    public int PadBottom => Math.Max(PadH, (OutH - 1) * StrideH + DilationH * (Kh - 1) + 1 - H - PadH);
    public int PadRight => Math.Max(PadW, (OutW - 1) * StrideW + DilationW * (Kw - 1) + 1 - W - PadW);

    /// <summary>
    /// False when even the first window does not fit in the padded input (the integer division above would hide it).
    /// Ceil mode lets a window hang over the end, as PyTorch does; an output size below 1 then tells.
    /// </summary>
    public bool Fits => CeilMode || (H + 2 * PadH >= DilationH * (Kh - 1) + 1 && W + 2 * PadW >= DilationW * (Kw - 1) + 1);

    public void AddTo(ref PrimitiveKey.Builder key) =>
        key.Add([N, C, H, W, Kh, Kw, StrideH, StrideW, PadH, PadW, DilationH, DilationW, Alg, (int)Format, CeilMode ? 1 : 0]);

    public static int OutSize(int size, int kernel, int stride, int pad, int dilation, bool ceilMode)
    {
        int span = size + 2 * pad - dilation * (kernel - 1) - 1;
        int outSize = (int)Math.Floor((ceilMode ? span + stride - 1 : span) / (double)stride) + 1;
        if (ceilMode && (outSize - 1) * stride >= size + pad) outSize--;
        return outSize;
    }
}
