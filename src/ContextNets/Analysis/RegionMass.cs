namespace ContextNets.Analysis;

/// <summary>
/// How much of a pooling map's weight falls on a region of its image (the objects of a scene). Each of the map's
/// cells stands for its proportional block of the image's pixels and counts by the share of them in the region: the
/// mass is the map's weight on the region, the area the region's share of the cells. Uniform pooling (global average
/// pooling) has mass = area; a map that favours the region has mass / area above 1.
/// </summary>
public static class RegionMass
{
    /// <summary>
    /// The weight of <paramref name="map"/> (its <paramref name="gridHeight"/> x <paramref name="gridWidth"/> cells,
    /// summing to 1) on <paramref name="region"/> (the image's <paramref name="height"/> x <paramref name="width"/>
    /// pixels, row by row, true in the region), and the region's share of the cells.
    /// </summary>
    public static (double Mass, double Area) Of(ReadOnlySpan<float> map, int gridHeight, int gridWidth, ReadOnlySpan<bool> region, int height, int width)
    {
        if (map.Length != gridHeight * gridWidth || region.Length != height * width || gridHeight > height || gridWidth > width)
            throw new ArgumentException($"RegionMass: a {gridHeight}x{gridWidth} map ({map.Length} weights) over a {height}x{width} region ({region.Length} pixels).");
        double mass = 0, area = 0;
        for (int r = 0; r < gridHeight; r++)
        {
            int y0 = r * height / gridHeight, y1 = (r + 1) * height / gridHeight;
            for (int c = 0; c < gridWidth; c++)
            {
                int x0 = c * width / gridWidth, x1 = (c + 1) * width / gridWidth, inside = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        if (region[y * width + x]) inside++;
                double share = (double)inside / ((y1 - y0) * (x1 - x0));
                mass += map[r * gridWidth + c] * share;
                area += share;
            }
        }
        return (mass, area / (gridHeight * gridWidth));
    }
}
