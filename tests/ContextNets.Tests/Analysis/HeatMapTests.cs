using ContextNets.Analysis;
using ContextNets.Data;
using ContextNets.IO;
using ContextNets.Tests.Data;

namespace ContextNets.Tests.Analysis;

/// <summary>The pictures, written as PNG and read back through libpng (<see cref="ImageDecoder"/>), a decoder of its own.</summary>
public sealed class HeatMapTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private Image8 RoundTrip(Canvas canvas, string name)
    {
        string path = _tmp.File(name);
        Png.Write(path, canvas.Pixels, canvas.Width, canvas.Height, 3);
        var decoded = ImageDecoder.Load(path, 3);
        Assert.Equal((canvas.Width, canvas.Height), (decoded.Width, decoded.Height));
        return decoded;
    }

    private static (byte, byte, byte) Pixel(Image8 image, int x, int y) => (image[y, x, 0], image[y, x, 1], image[y, x, 2]);

    private static byte Blend(byte gray, byte color) => (byte)Math.Round(0.35 * gray + 0.65 * color);

    [Fact]
    public void TheColourMapRunsFromViridisPurpleToYellow()
    {
        Assert.Equal(((byte)68, (byte)1, (byte)84), ColorMap.At(0));
        Assert.Equal(((byte)33, (byte)144, (byte)141), ColorMap.At(0.5));
        Assert.Equal(((byte)253, (byte)231, (byte)37), ColorMap.At(1));
        Assert.Equal(ColorMap.At(0), ColorMap.At(-3));
        Assert.Equal(ColorMap.At(0), ColorMap.At(double.NaN));
        Assert.Equal(ColorMap.At(1), ColorMap.At(7));
    }

    [Fact]
    public void OverlayAndMarkersLandWhereTheyShould()
    {
        // A gray 2x2 image drawn 4 times larger, under a 2x2 map with its weight in the top-left cell.
        var image = new Image8(2, 2, 1, [100, 100, 100, 100]);
        var canvas = new Canvas(20, 10, (255, 255, 255));
        HeatMap.DrawOverlay(canvas, 1, 1, image, 4, [2f, 0f, 0f, 0f], 2, 2, max: 2);
        HeatMap.DrawMarker(canvas, 15, 5, Markers.Color(1), size: 5);
        var png = RoundTrip(canvas, "overlay.png");

        Assert.Equal((Blend(100, 253), Blend(100, 231), Blend(100, 37)), Pixel(png, 1, 1));
        Assert.Equal((Blend(100, 68), Blend(100, 1), Blend(100, 84)), Pixel(png, 8, 8));
        // Enlarged pixel 3 samples the map at (3 + 0.5) / 4 - 0.5 = 0.375 in each direction: 2 * 0.625^2 of max 2.
        var inside = ColorMap.At(0.625 * 0.625);
        Assert.Equal((Blend(100, inside.r), Blend(100, inside.g), Blend(100, inside.b)), Pixel(png, 1 + 3, 1 + 3));
        Assert.Equal(((byte)255, (byte)255, (byte)255), Pixel(png, 0, 0));
        // A light marker has a black ring.
        Assert.Equal(Markers.Color(1), Pixel(png, 15, 5));
        Assert.Equal(Markers.Color(1), Pixel(png, 14, 4));
        Assert.Equal(((byte)0, (byte)0, (byte)0), Pixel(png, 13, 3));
    }

    [Fact]
    public void NonLocalGridMarksEveryQuery()
    {
        using var model = AttentionAnalysisTests.SmallModel();
        using var scope = Tensor.Scope();
        var (images, display) = AttentionAnalysisTests.Images(3, 4);
        using var analysis = new AttentionAnalysis(model, queries: 4, show: 2);
        analysis.Add(images, display);
        var nl = analysis.Pairwise[0];
        var png = RoundTrip(nl.Render(), "nl.png");

        int cell = 8 * HeatMap.Scale(8, 8);
        Assert.True(png.Width >= 5 * cell && png.Height >= 2 * cell, $"{png.Width}x{png.Height} cannot hold 2 rows of 5 cells of {cell}");
        for (int row = 0; row < 2; row++)
            for (int q = 0; q < 4; q++)
            {
                var (px, py) = HeatMap.CellCentre(nl.QueryPoints[q].y, nl.QueryPoints[q].x, 8, 8, cell, cell);
                foreach (int column in new[] { 0, q + 1 })
                {
                    var (x, y) = HeatMapGrid.CellOrigin(row, column, cell, cell);
                    Assert.Equal(Markers.Color(q), Pixel(png, x + px, y + py));
                }
            }
        // The image column shows the image itself, enlarged: a corner pixel away from every marker.
        var (x0, y0) = HeatMapGrid.CellOrigin(1, 0, cell, cell);
        Assert.Equal((display[1][7, 7, 0], display[1][7, 7, 1], display[1][7, 7, 2]), Pixel(png, x0 + cell - 1, y0 + cell - 1));
    }

    [Fact]
    public void PoolingGridOverlaysTheMapOnTheImage()
    {
        using var model = AttentionAnalysisTests.SmallModel();
        using var scope = Tensor.Scope();
        var (images, display) = AttentionAnalysisTests.Images(2, 5);
        using var analysis = new AttentionAnalysis(model, show: 2);
        analysis.Add(images, display);
        var gc = analysis.Pooling[0];
        Assert.True(gc.CanRender);
        var png = RoundTrip(gc.Render(), "gc.png");
        int cell = 8 * HeatMap.Scale(8, 8);
        var weights = ((ContextNets.Attention.GlobalContext)model[2]).LastAttention!;
        for (int row = 0; row < 2; row++)
        {
            var map = Enumerable.Range(0, 64).Select(j => (double)weights[row, j]).ToArray();
            var (x0, y0) = HeatMapGrid.CellOrigin(row, 1, cell, cell);
            for (int d = 0; d < cell; d += 5)
            {
                var (expected, actual) = (Expected(map, display[row], cell, d, cell - 1 - d), Pixel(png, x0 + d, y0 + cell - 1 - d));
                // Two roundings (the colour, then the blend) may each land one step apart.
                Assert.True(Math.Abs(expected.Item1 - actual.Item1) <= 2 && Math.Abs(expected.Item2 - actual.Item2) <= 2 && Math.Abs(expected.Item3 - actual.Item3) <= 2,
                    $"row {row}, pixel ({d}, {cell - 1 - d}): {actual}, expected {expected}");
            }
        }
    }

    /// <summary>Bilinear sampling of an 8x8 map at an enlarged pixel (half-pixel centres, clamped), coloured and blended by hand.</summary>
    private static (int, int, int) Expected(double[] map, Image8 image, int size, int x, int y)
    {
        double Sample(int i) => Math.Clamp((i + 0.5) * 8 / size - 0.5, 0, 7);
        double sx = Sample(x), sy = Sample(y);
        int x0 = (int)sx, y0 = (int)sy, x1 = Math.Min(x0 + 1, 7), y1 = Math.Min(y0 + 1, 7);
        double fx = sx - x0, fy = sy - y0;
        double v = (map[y0 * 8 + x0] * (1 - fx) + map[y0 * 8 + x1] * fx) * (1 - fy) + (map[y1 * 8 + x0] * (1 - fx) + map[y1 * 8 + x1] * fx) * fy;
        var c = ColorMap.At(v / map.Max());
        int scale = size / 8;
        byte gray = Image8.Luma(image[y / scale, x / scale, 0], image[y / scale, x / scale, 1], image[y / scale, x / scale, 2]);
        return (Blend(gray, c.r), Blend(gray, c.g), Blend(gray, c.b));
    }
}
