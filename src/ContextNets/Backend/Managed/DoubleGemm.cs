using System.Numerics;

namespace ContextNets.Backend.Managed;

/// <summary>
/// A batch of float64 matrices [Batch, Rows, Cols] anywhere in memory: element (b, r, c) is at
/// Ptr + b * BatchStride + r * RowStride + c * ColStride, so a transpose is a swap of the two strides.
/// </summary>
internal readonly unsafe struct DoubleMat(double* ptr, int batch, int rows, int cols, long batchStride, long rowStride, long colStride = 1)
{
    public double* Ptr { get; } = ptr;
    public int Batch { get; } = batch;
    public int Rows { get; } = rows;
    public int Cols { get; } = cols;
    public long BatchStride { get; } = batchStride;
    public long RowStride { get; } = rowStride;
    public long ColStride { get; } = colStride;

    /// <summary>A row-major [rows, cols] matrix with row stride ld, as one batch item.</summary>
    public static DoubleMat Of(double* ptr, int rows, int cols, long ld) => new(ptr, 1, rows, cols, 0, ld);

    /// <summary>Row-major [rows, cols] blocks with row stride ld, one every batchStride elements.</summary>
    public static DoubleMat Batched(double* ptr, int batch, int rows, int cols, long ld, long batchStride) => new(ptr, batch, rows, cols, batchStride, ld);

    public DoubleMat T() => new(Ptr, Batch, Cols, Rows, BatchStride, ColStride, RowStride);

    public double* At(int b, int r) => Ptr + b * BatchStride + r * RowStride;
}

/// <summary>
/// C = A B in float64, for the non-local block's exact path (oneDNN 2.6 has no f64 matmul on the CPU). Products of
/// float32 values are exact in float64, so a float32 input loses nothing until the sums, which round at 2^-53.
/// Each element of C is one thread's sum over k in order, so the result does not depend on the thread count.
/// The kernel is a 4-row by two-vector register tile over a B panel that is packed row-major when B is transposed.
/// </summary>
internal static unsafe class DoubleGemm
{
    private const int TileRows = 4;
    // Row tiles that share one column strip of B while it is in cache (a strip of k = 1024 rows is 64 KB).
    private const int TilesPerBlock = 16;
    private static int Lanes => Vector<double>.Count;

    public static void Multiply(DoubleMat a, DoubleMat b, DoubleMat c)
    {
        if (a.Batch != c.Batch || b.Batch != c.Batch || a.Rows != c.Rows || b.Cols != c.Cols || a.Cols != b.Rows || c.ColStride != 1)
            throw new ArgumentException($"DoubleGemm: [{a.Batch},{a.Rows},{a.Cols}] x [{b.Batch},{b.Rows},{b.Cols}] into [{c.Batch},{c.Rows},{c.Cols}] (unit column stride).");
        int k = a.Cols, n = c.Cols;
        double[]? packed = b.ColStride == 1 ? null : GC.AllocateUninitializedArray<double>(b.Batch * k * n, pinned: true);
        fixed (double* pk = packed)
        {
            if (packed is not null) b = Pack(b, pk);
            var panels = b;
            int tiles = (a.Rows + TileRows - 1) / TileRows, blocks = (tiles + TilesPerBlock - 1) / TilesPerBlock;
            Par.For(c.Batch * blocks, 2L * TilesPerBlock * TileRows * k * n, (begin, end) =>
            {
                for (int item = begin; item < end; item++)
                {
                    int batch = item / blocks, first = item % blocks * TilesPerBlock, last = Math.Min(tiles, first + TilesPerBlock);
                    Block(a, panels, c, batch, first * TileRows, Math.Min(a.Rows, last * TileRows));
                }
            });
        }
    }

    // B with unit row stride inside each row: rows of B become contiguous, as the register tile reads them.
    private static DoubleMat Pack(DoubleMat b, double* dst)
    {
        long size = (long)b.Rows * b.Cols;
        for (int i = 0; i < b.Batch; i++)
        for (int r = 0; r < b.Rows; r++)
        {
            double* src = b.At(i, r), row = dst + i * size + (long)r * b.Cols;
            for (int col = 0; col < b.Cols; col++) row[col] = src[col * b.ColStride];
        }
        return DoubleMat.Batched(dst, b.Batch, b.Rows, b.Cols, b.Cols, size);
    }

    // Rows [first, last) of C for one batch item: strip by strip of columns, every row tile under one strip of B
    // before the next, then the columns left over one at a time (the same order of summation, so no element of C
    // depends on where it lies).
    private static void Block(DoubleMat a, DoubleMat b, DoubleMat c, int batch, int first, int last)
    {
        int n = c.Cols, strip = 2 * Lanes, col = 0;
        for (; col + strip <= n; col += strip)
            for (int row = first; row < last; row += TileRows) Tile(a, b, c, batch, row, Math.Min(TileRows, last - row), col);
        for (; col < n; col++)
        for (int row = first; row < last; row++)
        {
            double s = 0;
            double* ar = a.At(batch, row), bp = b.At(batch, 0) + col;
            for (int p = 0; p < a.Cols; p++) s = Math.FusedMultiplyAdd(ar[p * a.ColStride], bp[p * b.RowStride], s);
            c.At(batch, row)[col] = s;
        }
    }

    // C[row .. row + count, col .. col + 2 lanes] as 4 x 2 vector accumulators over all of k.
    private static void Tile(DoubleMat a, DoubleMat b, DoubleMat c, int batch, int row, int count, int col)
    {
        int k = a.Cols;
        var av = stackalloc double*[TileRows];
        for (int r = 0; r < TileRows; r++) av[r] = a.At(batch, row + Math.Min(r, count - 1));
        long acs = a.ColStride, ld = b.RowStride;
        double* bp = b.At(batch, 0) + col;
        Vector<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < k; p++)
        {
            double* brow = bp + p * ld;
            var b0 = Vector.Load(brow);
            var b1 = Vector.Load(brow + Lanes);
            long ao = p * acs;
            var x0 = new Vector<double>(av[0][ao]);
            var x1 = new Vector<double>(av[1][ao]);
            var x2 = new Vector<double>(av[2][ao]);
            var x3 = new Vector<double>(av[3][ao]);
            c00 = Vector.FusedMultiplyAdd(x0, b0, c00); c01 = Vector.FusedMultiplyAdd(x0, b1, c01);
            c10 = Vector.FusedMultiplyAdd(x1, b0, c10); c11 = Vector.FusedMultiplyAdd(x1, b1, c11);
            c20 = Vector.FusedMultiplyAdd(x2, b0, c20); c21 = Vector.FusedMultiplyAdd(x2, b1, c21);
            c30 = Vector.FusedMultiplyAdd(x3, b0, c30); c31 = Vector.FusedMultiplyAdd(x3, b1, c31);
        }
        Store(c, batch, row, count, col, [c00, c01, c10, c11, c20, c21, c30, c31]);
    }

    private static void Store(DoubleMat c, int batch, int row, int count, int col, ReadOnlySpan<Vector<double>> acc)
    {
        for (int r = 0; r < count; r++)
        {
            double* dst = c.At(batch, row + r) + col;
            acc[2 * r].Store(dst);
            acc[2 * r + 1].Store(dst + Lanes);
        }
    }
}
