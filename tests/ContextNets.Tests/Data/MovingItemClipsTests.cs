using ContextNets.Data;

namespace ContextNets.Tests.Data;

public class MovingItemClipsTests
{
    /// <summary>Ten classes of 8x8 squares whose grey level tells the class.</summary>
    private static SquareItems Squares => new(40, 10, 8, 20, 20);

    [Fact]
    public void TheSameSeedGivesTheSameClipsAndAnotherSeedOthers()
    {
        var a = new MovingItemClips(Squares, 20, seed: 7, frames: 6, side: 32);
        var b = new MovingItemClips(Squares, 20, seed: 7, frames: 6, side: 32);
        var c = new MovingItemClips(Squares, 20, seed: 8, frames: 6, side: 32);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(a.Clip(i), b.Clip(i));
            Assert.Equal(a.Label(i), b.Label(i));
        }
        Assert.Contains(Enumerable.Range(0, 20), i => !a.Clip(i).SequenceEqual(c.Clip(i)));
    }

    [Fact]
    public void TheLabelIsTheClassOfTheItemThatApproachesTheOther()
    {
        var items = Squares;
        var clips = new MovingItemClips(items, 200, seed: 1, frames: 8, side: 32);
        int firstApproaches = 0;
        for (int i = 0; i < clips.Count; i++)
        {
            var p = clips.PlanOf(i);
            Assert.NotEqual(items.Label(p.First), items.Label(p.Second));
            var (mover, other) = p.FirstApproaches ? (p.FirstPath, p.SecondPath) : (p.SecondPath, p.FirstPath);
            Assert.Equal(items.Label(p.FirstApproaches ? p.First : p.Second), clips.Label(i));
            double start = Distance(mover[0], other[0]);
            Assert.True(start >= clips.MinApart, $"clip {i}: the items start {start:F1} apart");
            // The mover heads for where the other started and covers half the way.
            Assert.Equal(start / 2, Distance(mover[0], mover[^1]), 6);
            Assert.True(Distance(mover[^1], other[0]) < Distance(mover[0], other[0]));
            if (p.FirstApproaches) firstApproaches++;
        }
        // Which of the two approaches is a coin flip, so that order tells nothing.
        Assert.InRange(firstApproaches, 70, 130);
    }

    [Fact]
    public void AClipHoldsBothItemsInEveryFrame()
    {
        var clips = new MovingItemClips(Squares, 5, seed: 3, frames: 4, side: 32);
        var clip = clips.Clip(0);
        var p = clips.PlanOf(0);
        var items = Squares;
        float[] levels = [(20 + 20 * items.Label(p.First)) / 255f, (20 + 20 * items.Label(p.Second)) / 255f];
        for (int t = 0; t < 4; t++)
        {
            var frame = clip.AsSpan(t * 32 * 32, 32 * 32).ToArray();
            foreach (float level in levels) Assert.Contains(frame, v => Math.Abs(v - level) < 1e-6);
        }
    }

    [Fact]
    public void ACanvasTooSmallIsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MovingItemClips(Squares, 5, seed: 0, side: 20));
        Assert.Contains("too small", ex.Message);
    }

    private static double Distance((double x, double y) a, (double x, double y) b) => Math.Sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y));
}
