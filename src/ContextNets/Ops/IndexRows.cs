using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Rows of x (slices along axis 0) picked by <paramref name="rows"/>, in that order, repeats allowed: torch's
    /// x[rows]. The gradient adds each output row back into the row it came from.
    /// </summary>
    public static unsafe Tensor IndexRows(Tensor x, IReadOnlyList<int> rows)
    {
        if (x.Rank < 1) throw new ArgumentException($"index_rows: a scalar has no rows ({x.Shape}).");
        int count = x.Shape[0], width = x.Numel / Math.Max(1, count);
        foreach (int r in rows)
            if (r < 0 || r >= count) throw new ArgumentException($"index_rows: row {r} is outside the {count} rows of {x.Shape}.");
        var dims = x.Shape.Dims.ToArray();
        dims[0] = rows.Count;
        var y = Tensor.Empty(new Shape(dims));
        using (var xs = Materialize(x, MemoryFormat.Contiguous))
            for (int i = 0; i < rows.Count; i++)
                new Span<float>(xs.Data + (long)rows[i] * width, width).CopyTo(new Span<float>(y.Data + (long)i * width, width));
        if (!Tape.ShouldRecord(x)) return y;
        int[] picked = [.. rows];
        return Tape.Record(y, "index_rows", [x], gy =>
        {
            var gx = Tensor.Zeros(x.Shape);
            using var g = Materialize(gy, MemoryFormat.Contiguous);
            for (int i = 0; i < picked.Length; i++)
            {
                float* dst = gx.Data + (long)picked[i] * width, src = g.Data + (long)i * width;
                for (int k = 0; k < width; k++) dst[k] += src[k];
            }
            return [gx];
        });
    }
}
