namespace ContextNets.Backend.Managed;

/// <summary>NumPy broadcasting of shapes: dimensions align from the right, and a size of 1 stretches.</summary>
internal static class Broadcast
{
    public static Shape Shapes(Shape a, Shape b, string op)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {a} and {b} do not broadcast (dimension {i}: {da} vs {db}).");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    /// <summary>The tensor's strides seen from the output shape: 0 where it is stretched.</summary>
    public static int[] StridesIn(Tensor t, Shape outShape)
    {
        int rank = outShape.Rank, pad = rank - t.Rank;
        var s = new int[rank];
        for (int i = pad; i < rank; i++) s[i] = t.Shape[i - pad] == 1 && outShape[i] != 1 ? 0 : t.Strides[i - pad];
        return s;
    }
}
