using ContextNets.Analysis;

namespace ContextNets.Tests.Analysis;

public class GridTests
{
    [Fact]
    public void QueriesAreCellCentresOfARegularGrid()
    {
        Assert.Equal([(7, 7)], QueryGrid.Choose(1, 14, 14));
        Assert.Equal([(3, 3), (3, 10), (10, 3), (10, 10)], QueryGrid.Choose(4, 14, 14));
        Assert.Equal([(0, 1), (0, 4), (0, 7)], QueryGrid.Choose(3, 1, 9));
        Assert.Equal([(2, 0), (6, 0)], QueryGrid.Choose(2, 9, 1));
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(7, 1)]
    [InlineData(2, 8)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    [InlineData(5, 9)]
    [InlineData(14, 14)]
    public void QueriesAreDistinctAndInsideTheMap(int h, int w)
    {
        for (int k = 1; k <= h * w; k++)
        {
            var points = QueryGrid.Choose(k, h, w);
            Assert.Equal(k, points.Length);
            Assert.Equal(k, points.Distinct().Count());
            Assert.All(points, p => Assert.True(p.y >= 0 && p.y < h && p.x >= 0 && p.x < w, $"{p} outside {h}x{w} for k={k}"));
        }
    }

    [Fact]
    public void TooManyQueriesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => QueryGrid.Choose(5, 2, 2));
        Assert.Contains("5 queries", e.Message);
        Assert.Contains("2x2", e.Message);
        Assert.Throws<ArgumentException>(() => QueryGrid.Choose(0, 2, 2));
    }

    [Fact]
    public void PoolingMapSizesFollowTheImage()
    {
        Assert.Equal((28, 28), MapGrid.Infer(784, 28, 28));
        Assert.Equal((14, 14), MapGrid.Infer(196, 28, 28));
        Assert.Equal((7, 7), MapGrid.Infer(49, 28, 28));
        Assert.Equal((4, 4), MapGrid.Infer(16, 28, 28));
        Assert.Equal((8, 16), MapGrid.Infer(128, 16, 32));
        Assert.Equal((7, 7), MapGrid.Infer(49, 224, 224));
        Assert.Null(MapGrid.Infer(13, 28, 28));
    }
}
