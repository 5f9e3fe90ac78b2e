namespace ContextNets.Analysis;

/// <summary>
/// The cosine distance (1 - cos) / 2 between vectors, in [0, 1]: 0 for the same direction, 0.5 for orthogonal
/// vectors, 1 for opposite ones. A zero vector has no direction; it is taken as orthogonal to everything.
/// </summary>
public static class CosineDistance
{
    /// <summary>The distance between two vectors of one length.</summary>
    public static double Pair(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Cosine distance between vectors of lengths {a.Length} and {b.Length}.");
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < a.Length; k++)
        {
            dot += (double)a[k] * b[k];
            na += (double)a[k] * a[k];
            nb += (double)b[k] * b[k];
        }
        double cos = na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : 0;
        return (1 - cos) / 2;
    }

    /// <summary>
    /// The mean distance over all pairs i &lt; j of the rows of a row-major [count, dim] matrix, in O(count * dim)
    /// time and O(dim) memory: with u_i the unit rows and S their sum, the sum of cos over i &lt; j is
    /// (|S|^2 - sum |u_i|^2) / 2, so no pair is ever formed.
    /// </summary>
    public static double MeanOverPairs(ReadOnlySpan<float> rows, int count, int dim)
    {
        PairShape.Check("Cosine distance", rows.Length, count, dim);
        var sum = new double[dim];
        int directions = 0;
        for (int i = 0; i < count; i++)
        {
            var row = rows.Slice(i * dim, dim);
            double norm = 0;
            foreach (float v in row) norm += (double)v * v;
            if (norm == 0) continue;
            directions++;
            double inv = 1 / Math.Sqrt(norm);
            for (int k = 0; k < dim; k++) sum[k] += row[k] * inv;
        }
        double squared = 0;
        foreach (double s in sum) squared += s * s;
        double pairs = (double)count * (count - 1) / 2;
        double cosines = (squared - directions) / 2;
        return Math.Clamp((pairs - cosines) / (2 * pairs), 0, 1);
    }
}
