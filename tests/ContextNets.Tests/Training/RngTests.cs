using ContextNets.Training;

namespace ContextNets.Tests.Training;

public class RngTests
{
    [Fact]
    public void MatchesTheXoshiroReferenceOutput()
    {
        // The reference C code's output from the state {1, 2, 3, 4}.
        var rng = Rng.FromState("0000000000000001" + "0000000000000002" + "0000000000000003" + "0000000000000004");
        Assert.Equal([11520UL, 0UL, 1509978240UL, 1215971899390074240UL], Enumerable.Range(0, 4).Select(_ => rng.NextUInt64()));
    }

    [Fact]
    public void SeedsThroughSplitMix64()
    {
        // SplitMix64's first two outputs from 0 become the first two state words.
        Assert.StartsWith("e220a8397b1dcdaf6e789e6aa1b965f4", new Rng(0).SaveState());
    }

    [Fact]
    public void RestoredStateContinuesTheSameStream()
    {
        var a = new Rng(42);
        for (int i = 0; i < 17; i++) a.NextDouble();
        var b = Rng.FromState(a.SaveState());
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Fact]
    public void DrawsStayInRange()
    {
        var rng = new Rng(7);
        var counts = new int[5];
        for (int i = 0; i < 50_000; i++)
        {
            double d = rng.NextDouble();
            float f = rng.NextSingle();
            Assert.InRange(d, 0.0, 0.9999999999999999);
            Assert.InRange(f, 0f, 0.99999994f);
            counts[rng.NextInt(5)]++;
        }
        // Each of five buckets expects 10000; 5 sigma is about 450.
        Assert.All(counts, c => Assert.InRange(c, 9500, 10500));
    }

    [Fact]
    public void BadStatesAreRejected()
    {
        Assert.Throws<FormatException>(() => Rng.FromState("xyz"));
        Assert.Throws<FormatException>(() => Rng.FromState(new string('0', 64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rng(1).NextInt(0));
    }
}
