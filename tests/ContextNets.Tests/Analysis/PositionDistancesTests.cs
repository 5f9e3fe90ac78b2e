using ContextNets.Analysis;

namespace ContextNets.Tests.Analysis;

public class PositionDistancesTests
{
    [Fact]
    public void AttentionIsMeasuredPerImage()
    {
        const int n = 3, np = 12, keys = 6;
        var maps = PairOracle.SoftmaxRows(n * np, keys, 2, 11);
        using var scope = Tensor.Scope();
        var attention = Tensor.FromArray(maps, new Shape(n, np, keys));
        var cosine = PositionDistances.AttentionCosine(attention);
        var jsd = PositionDistances.AttentionJensenShannon(attention);
        var entropy = MapEntropy.PerImage(attention);
        for (int i = 0; i < n; i++)
        {
            var image = maps[(i * np * keys)..((i + 1) * np * keys)];
            Assert.Equal(PairOracle.Cosine(image, np, keys), cosine[i], 1e-12);
            Assert.Equal(PairOracle.JensenShannon(image, np, keys), jsd[i], 1e-12);
            Assert.Equal(MapEntropy.MeanNormalized(image, np, keys), entropy[i], 1e-12);
        }
    }

    [Theory]
    [InlineData(MemoryFormat.Contiguous)]
    [InlineData(MemoryFormat.ChannelsLast)]
    public void FeaturesAreComparedBetweenPositionsInEitherLayout(MemoryFormat format)
    {
        const int n = 2, c = 5, h = 3, w = 4;
        var values = PairOracle.NormalRows(n * c, h * w, 21);
        using var scope = Tensor.Scope();
        var features = F.Materialize(Tensor.FromArray(values, new Shape(n, c, h, w)), format);
        var cosine = PositionDistances.FeatureCosine(features);
        for (int i = 0; i < n; i++)
        {
            // The oracle's rows are positions: the transpose of image i's [C, H*W].
            var rows = new float[h * w * c];
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < h * w; p++) rows[p * c + ch] = values[(i * c + ch) * h * w + p];
            Assert.Equal(PairOracle.Cosine(rows, h * w, c), cosine[i], 1e-12);
        }
    }

    [Fact]
    public void BadShapesAreNamed()
    {
        using var scope = Tensor.Scope();
        var e = Assert.Throws<ArgumentException>(() => PositionDistances.AttentionCosine(Tensor.Zeros(new Shape(4, 4))));
        Assert.Contains("[4, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => PositionDistances.FeatureCosine(Tensor.Zeros(new Shape(2, 3, 4))));
        Assert.Contains("[2, 3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => MapEntropy.PerImage(Tensor.Zeros(new Shape(2))));
        Assert.Contains("[2]", e.Message);
    }
}
