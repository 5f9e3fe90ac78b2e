namespace ContextNets.Backend;

/// <summary>
/// One side of a matmul as the backend sees it: dims [batch.., rows, cols], the
/// strides that place them in memory, and the data. A transpose is a swap of
/// the last two strides, so no operand is ever copied to be transposed.
/// </summary>
internal readonly record struct MatOperand(int[] Dims, int[] Strides, nint Ptr)
{
    public static unsafe MatOperand Of(Tensor t) => new(t.Shape.Dims.ToArray(), t.Strides.ToArray(), (nint)t.Data);

    /// <summary>A row-major tensor's values read as one [rows, cols] matrix.</summary>
    public static unsafe MatOperand Matrix(Tensor t, int rows, int cols) => new([rows, cols], [cols, 1], (nint)t.Data);

    /// <summary>The same memory seen with the last two dims swapped.</summary>
    public MatOperand T()
    {
        int r = Dims.Length;
        var d = (int[])Dims.Clone();
        var s = (int[])Strides.Clone();
        (d[r - 2], d[r - 1]) = (d[r - 1], d[r - 2]);
        (s[r - 2], s[r - 1]) = (s[r - 1], s[r - 2]);
        return new(d, s, Ptr);
    }

    /// <summary>Leading batch dims of size 1 up to the given rank, as broadcasting reads a missing dim.</summary>
    public MatOperand PadTo(int rank)
    {
        int pad = rank - Dims.Length;
        if (pad == 0) return this;
        var d = new int[rank];
        var s = new int[rank];
        long span = 1;
        for (int i = 0; i < Dims.Length; i++) span = Math.Max(span, (long)Dims[i] * Strides[i]);
        for (int i = 0; i < rank; i++)
        {
            d[i] = i < pad ? 1 : Dims[i - pad];
            s[i] = i < pad ? (int)span : Strides[i - pad];
        }
        return new(d, s, Ptr);
    }
}
