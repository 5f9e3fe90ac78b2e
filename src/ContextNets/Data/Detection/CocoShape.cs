namespace ContextNets.Data.Detection;

/// <summary>
/// An object's outline in a COCO file: polygons (x, y pairs in pixels), uncompressed RLE (run lengths alternating
/// 0s and 1s over the pixels in column-major order, as COCO writes them), or none. <see cref="Rasterize"/> makes
/// the binary mask; a polygon covers the pixels whose centres lie inside it (even-odd rule), which may differ from
/// pycocotools' rasterization along the edges.
/// </summary>
public sealed class CocoShape
{
    private readonly IReadOnlyList<float[]>? _polygons;
    private readonly int[]? _runs;

    private CocoShape(IReadOnlyList<float[]>? polygons, int[]? runs) => (_polygons, _runs) = (polygons, runs);

    public static CocoShape None { get; } = new(null, null);

    public static CocoShape FromPolygons(IReadOnlyList<float[]> polygons) => new(polygons, null);

    public static CocoShape FromRuns(int[] runs) => new(null, runs);

    /// <summary>
    /// A binary mask [height, width] (nonzero inside) as COCO's uncompressed RLE, the inverse of <see cref="FromRuns"/>:
    /// run lengths over the pixels in column-major order, alternating 0s and 1s and starting with 0s (a mask whose first
    /// pixel is inside starts with a run of length 0).
    /// </summary>
    public static int[] Runs(ReadOnlySpan<byte> mask, int height, int width)
    {
        if (height < 1 || width < 1 || mask.Length != height * width)
            throw new ArgumentException($"A mask of {mask.Length} pixels is not {height}x{width}.");
        var runs = new List<int>();
        bool inside = false;
        int length = 0;
        for (int x = 0; x < width; x++)
            for (int y = 0; y < height; y++)
            {
                if ((mask[y * width + x] != 0) != inside)
                {
                    runs.Add(length);
                    inside = !inside;
                    length = 0;
                }
                length++;
            }
        runs.Add(length);
        return [.. runs];
    }

    /// <summary>The mask [height, width] (1 inside); without an outline, the box (x1, y1, x2, y2) filled.</summary>
    public byte[] Rasterize(int height, int width, float x1, float y1, float x2, float y2)
    {
        var mask = new byte[height * width];
        if (_runs is { } runs)
        {
            long p = 0;
            for (int r = 0; r < runs.Length; p += runs[r], r++)
                if (r % 2 == 1)
                    for (long q = p; q < p + runs[r]; q++) mask[(int)(q % height) * width + (int)(q / height)] = 1;
        }
        else if (_polygons is { } polygons)
        {
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    if (polygons.Count(poly => Inside(poly, x + 0.5f, y + 0.5f)) % 2 == 1) mask[y * width + x] = 1;
        }
        else
        {
            for (int y = (int)MathF.Floor(y1); y < (int)MathF.Ceiling(y2); y++)
                for (int x = (int)MathF.Floor(x1); x < (int)MathF.Ceiling(x2); x++) mask[y * width + x] = 1;
        }
        return mask;
    }

    /// <summary>Even-odd crossing test of the point against one polygon.</summary>
    private static bool Inside(float[] poly, float px, float py)
    {
        bool inside = false;
        int n = poly.Length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            float xi = poly[2 * i], yi = poly[2 * i + 1], xj = poly[2 * j], yj = poly[2 * j + 1];
            if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
    }
}
