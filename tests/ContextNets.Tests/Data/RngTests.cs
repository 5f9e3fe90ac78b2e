using ContextNets.Data;

namespace ContextNets.Tests.Data;

public class RngTests
{
    [Fact]
    public void SameSeedSameStreamAndTuplesAreIndependent()
    {
        Assert.Equal(Draw(new Rng(3)), Draw(new Rng(3)));
        Assert.NotEqual(Draw(new Rng(3)), Draw(new Rng(4)));
        Assert.Equal(Draw(Rng.For(1, 2, 3, 4)), Draw(Rng.For(1, 2, 3, 4)));
        var tuples = new[] { Rng.For(1, 2, 3, 4), Rng.For(1, 2, 4, 3), Rng.For(1, 2, 3, 5), Rng.For(2, 2, 3, 4), Rng.For(0, 0) };
        Assert.Equal(tuples.Length, tuples.Select(r => r.NextUInt64()).Distinct().Count());
    }

    private static ulong[] Draw(Rng r) => Enumerable.Range(0, 8).Select(_ => r.NextUInt64()).ToArray();

    /// <summary>Counts per value of NextInt(7) over 70,000 draws: each within 6 standard deviations of 10,000.</summary>
    [Fact]
    public void NextIntIsUniformAndInRange()
    {
        var rng = new Rng(9);
        var counts = new int[7];
        for (int i = 0; i < 70000; i++) counts[rng.NextInt(7)]++;
        double sd = Math.Sqrt(70000 * (1 / 7.0) * (6 / 7.0));
        Assert.All(counts, c => Assert.InRange(c, 10000 - 6 * sd, 10000 + 6 * sd));
        for (int i = 0; i < 1000; i++) Assert.InRange(rng.NextInt(-3, 4), -3, 3);
        for (int i = 0; i < 1000; i++) Assert.InRange(rng.NextDouble(), 0.0, 1.0 - 1e-17);
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }

    [Fact]
    public void ShuffleIsAPermutation()
    {
        var items = Enumerable.Range(0, 100).ToArray();
        new Rng(1).Shuffle(items.AsSpan());
        Assert.NotEqual(Enumerable.Range(0, 100), items);
        Assert.Equal(Enumerable.Range(0, 100), items.Order());
    }
}
