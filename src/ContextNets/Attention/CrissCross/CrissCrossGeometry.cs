namespace ContextNets.Attention;

/// <summary>
/// The sizes of one criss-cross pass over positions-major (channels-last) maps: N frames of H x W positions, Cq
/// query/key channels and C value channels. Every position u = (n, i, j) holds Path = H + W attention slots: slot
/// a &lt; H is the key at (a, j) in its column, slot H + b the key at (i, b) in its row. Its own column slot (a = i)
/// is masked to weight 0, so that the position, which lies on both lines, is counted once (through the row), as in
/// the official CCNet.
/// </summary>
internal readonly record struct CrissCrossGeometry(int N, int H, int W, int Cq, int C)
{
    public int Path => H + W;
    public int Rows => N * H;
    public long Positions => (long)N * H * W;

    /// <summary>The stacked projection [q; k; v]: its output width.</summary>
    public int Projected => 2 * Cq + C;

    /// <summary>Work per row of positions, to size parallel jobs.</summary>
    public long RowWork => (long)W * (Path * (Cq + C) + Projected * C);

    /// <summary>The position that slot <paramref name="slot"/> of the query at (n, i, j) reads.</summary>
    public long Key(int n, int i, int j, int slot) => slot < H ? ((long)n * H + slot) * W + j : ((long)n * H + i) * W + slot - H;

    /// <summary>
    /// A float64 buffer of <paramref name="count"/> values, carried by a float tensor of twice the length so that it
    /// comes from the same pool and is freed the same way (by Dispose or its scope).
    /// </summary>
    public static Tensor Doubles(long count) => Tensor.Empty(new Shape(checked((int)(2 * count))));
}
