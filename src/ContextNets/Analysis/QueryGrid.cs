namespace ContextNets.Analysis;

/// <summary>
/// The query positions shown for a non-local block: K points spread over an H x W map as the centres of the
/// cells of an r x c grid (r rows shaped to the map's aspect, c = ceil(K / r)), taken row by row. K = 1 is the
/// centre, K = 4 the centres of the four quadrants. Deterministic, and distinct whenever K &lt;= H * W.
/// </summary>
public static class QueryGrid
{
    /// <summary>The (row, column) of each query on the map.</summary>
    public static (int y, int x)[] Choose(int k, int height, int width)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"QueryGrid: a {height}x{width} map has no positions.");
        if (k < 1 || k > height * width)
            throw new ArgumentException($"QueryGrid: {k} queries do not fit the {height * width} positions of a {height}x{width} map.");
        // At least ceil(K / W) rows, so that no row needs more columns than the map has; at most H, and at most K.
        int rows = (int)Math.Round(Math.Sqrt((double)k * height / width));
        rows = Math.Clamp(rows, Math.Max(1, (k + width - 1) / width), Math.Min(height, k));
        int cols = (k + rows - 1) / rows;
        var points = new (int, int)[k];
        for (int i = 0; i < k; i++)
        {
            int r = i / cols, c = i % cols;
            points[i] = ((int)((r + 0.5) * height / rows), (int)((c + 0.5) * width / cols));
        }
        return points;
    }
}
