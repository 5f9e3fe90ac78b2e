using ContextNets.Analysis;

namespace ContextNets.Tests.Analysis;

public class PairDistanceTests
{
    [Fact]
    public void IdenticalMapsAreAtDistanceZero()
    {
        float[] row = [0.1f, 0.4f, 0f, 0.25f, 0.25f];
        var maps = Enumerable.Repeat(row, 6).SelectMany(r => r).ToArray();
        Assert.Equal(0, CosineDistance.MeanOverPairs(maps, 6, 5), 1e-12);
        Assert.Equal(0, JensenShannon.MeanOverPairs(maps, 6, 5), 1e-12);
        Assert.Equal(0, CosineDistance.Pair(row, row), 1e-12);
        Assert.Equal(0, JensenShannon.Pair(row, row), 1e-12);
    }

    [Fact]
    public void DisjointOneHotMapsAreAtLn2AndHalf()
    {
        // Four queries, each on its own key: every pair is disjoint and orthogonal.
        var maps = new float[4 * 7];
        for (int i = 0; i < 4; i++) maps[i * 7 + 2 * i] = 1;
        Assert.Equal(Math.Log(2), JensenShannon.MeanOverPairs(maps, 4, 7), 1e-12);
        Assert.Equal(0.5, CosineDistance.MeanOverPairs(maps, 4, 7), 1e-12);
    }

    [Fact]
    public void HandComputedPairs()
    {
        // p = (1/2, 1/2, 0), q = (0, 1/2, 1/2): m = (1/4, 1/2, 1/4), KL(p || m) = 1/2 ln 2 = KL(q || m), JSD = 1/2 ln 2.
        // cos = 1/4 / (1/2) = 1/2, so the distance is 1/4.
        float[] p = [0.5f, 0.5f, 0f], q = [0f, 0.5f, 0.5f];
        Assert.Equal(Math.Log(2) / 2, JensenShannon.Pair(p, q), 1e-12);
        Assert.Equal(0.25, CosineDistance.Pair(p, q), 1e-12);
        // Opposite vectors are at distance 1; a zero vector counts as orthogonal.
        Assert.Equal(1, CosineDistance.Pair([1f, -2f], [-3f, 6f]), 1e-12);
        Assert.Equal(0.5, CosineDistance.Pair([0f, 0f], [1f, 2f]), 1e-12);
        // Scale does not matter to either: a map is normalized before the divergence.
        Assert.Equal(Math.Log(2) / 2, JensenShannon.Pair([2f, 2f, 0f], q), 1e-12);
    }

    [Theory]
    [InlineData(2, 3, 1)]
    [InlineData(7, 5, 2)]
    [InlineData(49, 49, 3)]
    [InlineData(64, 16, 4)]
    [InlineData(196, 49, 5)]
    public void MeansMatchTheDirectPairLoop(int count, int dim, int seed)
    {
        foreach (double scale in new[] { 0.05, 1, 4 })
        {
            var maps = PairOracle.SoftmaxRows(count, dim, scale, seed);
            Assert.Equal(PairOracle.JensenShannon(maps, count, dim), JensenShannon.MeanOverPairs(maps, count, dim), 1e-12);
            Assert.Equal(PairOracle.Cosine(maps, count, dim), CosineDistance.MeanOverPairs(maps, count, dim), 1e-12);
        }
        // Features take any sign, and some positions may be all zero.
        var features = PairOracle.NormalRows(count, dim, seed + 100);
        features.AsSpan(0, dim).Clear();
        Assert.Equal(PairOracle.Cosine(features, count, dim), CosineDistance.MeanOverPairs(features, count, dim), 1e-12);
    }

    [Fact]
    public void LargeMapsAreNeverHeldAsPairs()
    {
        const int count = 1024, dim = 32;
        var maps = PairOracle.SoftmaxRows(count, dim, 1, 9);
        long pairsBytes = (long)count * count * dim * sizeof(double);
        CosineDistance.MeanOverPairs(maps, count, dim);
        JensenShannon.MeanOverPairs(maps, count, dim);
        long before = GC.GetAllocatedBytesForCurrentThread();
        double cosine = CosineDistance.MeanOverPairs(maps, count, dim);
        double jsd = JensenShannon.MeanOverPairs(maps, count, dim);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // O(count + dim) doubles and the threads' bookkeeping: kilobytes, where the pairs would be 256 MB.
        Assert.True(allocated < 256 << 10, $"{allocated} bytes allocated (the pairs of maps would be {pairsBytes})");
        Assert.InRange(cosine, 0, 1);
        Assert.InRange(jsd, 0, Math.Log(2));
    }

    [Fact]
    public void EntropyIsOneForUniformAndZeroForOneHot()
    {
        Assert.Equal(1, MapEntropy.MeanNormalized([0.25f, 0.25f, 0.25f, 0.25f], 1, 4), 1e-12);
        Assert.Equal(0, MapEntropy.MeanNormalized([0f, 1f, 0f, 0f], 1, 4), 1e-12);
        // (1/2, 1/2, 0, 0): ln 2 / ln 4 = 1/2; the mean over two maps.
        Assert.Equal(0.75, MapEntropy.MeanNormalized([0.5f, 0.5f, 0f, 0f, 1f, 1f, 1f, 1f], 2, 4), 1e-12);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => CosineDistance.MeanOverPairs(new float[10], 3, 4));
        Assert.Contains("[3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => JensenShannon.MeanOverPairs(new float[4], 1, 4));
        Assert.Contains("no pair", e.Message);
        e = Assert.Throws<ArgumentException>(() => JensenShannon.MeanOverPairs([0.5f, 0.5f, -0.1f, 1.1f], 2, 2));
        Assert.Contains("non-negative", e.Message);
        e = Assert.Throws<ArgumentException>(() => JensenShannon.Pair([0f, 0f], [1f, 0f]));
        Assert.Contains("all zeros", e.Message);
        e = Assert.Throws<ArgumentException>(() => CosineDistance.Pair([1f], [1f, 2f]));
        Assert.Contains("lengths 1 and 2", e.Message);
    }
}
