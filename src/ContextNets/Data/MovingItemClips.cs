namespace ContextNets.Data;

/// <summary>
/// A deterministic generator of clips in which the label is a long-range space-time relation, for video networks'
/// non-local blocks to find: two items of different classes (e.g. Fashion-MNIST images) are pasted on a black
/// canvas of <see cref="Side"/> squared, <see cref="MinApart"/> or more apart; over <see cref="Frames"/> frames one of
/// them moves straight toward where the other started, the other moves as fast at right angles to the line between
/// them. The label is the class of the item that approaches. Neither which item moves nor what it looks like tells
/// it: a network has to relate one item's motion to the other's position, across the clip.
/// Clip i depends only on (seed, i) and the source items: the same arguments give the same clips on any machine.
/// </summary>
public sealed class MovingItemClips
{
    private readonly IDataset _items;
    private readonly int _seed;

    public MovingItemClips(IDataset items, int count, int seed, int frames = 8, int side = 64)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count < 2 || items.Classes.Count < 2) throw new ArgumentException("Moving-item clips need a source of at least two items of two classes.");
        if (count < 1 || frames < 2) throw new ArgumentException($"Moving-item clips: count {count} and frames {frames} must be at least 1 and 2.");
        var probe = items.Image(0);
        ItemSide = Math.Max(probe.Width, probe.Height);
        if (side < 3 * ItemSide) throw new ArgumentException($"Moving-item clips: a canvas of {side} is too small for two {ItemSide}-pixel items to move apart ({3 * ItemSide} at least).");
        _items = items;
        _seed = seed;
        Count = count;
        Frames = frames;
        Side = side;
    }

    public int Count { get; }
    public int Frames { get; }
    public int Side { get; }
    public int ItemSide { get; }
    public int MinApart => Side / 2;
    public IReadOnlyList<string> Classes => _items.Classes;

    /// <summary>Where the two items' top-left corners are in each frame, which one approaches, and their source indices.</summary>
    public sealed record Plan(int First, int Second, bool FirstApproaches, (double x, double y)[] FirstPath, (double x, double y)[] SecondPath);

    public Plan PlanOf(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"Clip {index} of {Count}.");
        // One stream per clip, from (seed, index) alone.
        var rng = new Random(unchecked(_seed * 1_000_003 + index));
        int a = rng.Next(_items.Count), b;
        do b = rng.Next(_items.Count); while (_items.Label(b) == _items.Label(a));
        double room = Side - ItemSide;
        (double x, double y) pa, pb;
        do
        {
            pa = (rng.NextDouble() * room, rng.NextDouble() * room);
            pb = (rng.NextDouble() * room, rng.NextDouble() * room);
        }
        while (Distance(pa, pb) < MinApart);
        bool firstApproaches = rng.Next(2) == 0;
        var (from, to) = firstApproaches ? (pa, pb) : (pb, pa);
        // The mover covers half the distance; the other moves as far, at right angles, turned back at the canvas' edge.
        double d = Distance(from, to), step = d / 2 / (Frames - 1);
        (double x, double y) toward = ((to.x - from.x) / d, (to.y - from.y) / d), across = (-toward.y, toward.x);
        var moving = Path(from, toward, step);
        var other = Path(to, across, step);
        return firstApproaches ? new Plan(a, b, true, moving, other) : new Plan(a, b, false, other, moving);
    }

    /// <summary>The label of clip <paramref name="index"/>: the class of the approaching item.</summary>
    public int Label(int index)
    {
        var p = PlanOf(index);
        return _items.Label(p.FirstApproaches ? p.First : p.Second);
    }

    /// <summary>Clip <paramref name="index"/> as grey levels in [0, 1], frame by frame: [Frames, Side, Side] row-major.</summary>
    public float[] Clip(int index)
    {
        var p = PlanOf(index);
        var clip = new float[Frames * Side * Side];
        var first = _items.Image(p.First);
        var second = _items.Image(p.Second);
        for (int t = 0; t < Frames; t++)
        {
            Paste(first, p.FirstPath[t], clip, t);
            Paste(second, p.SecondPath[t], clip, t);
        }
        return clip;
    }

    private (double x, double y)[] Path((double x, double y) start, (double x, double y) direction, double step)
    {
        var path = new (double x, double y)[Frames];
        double room = Side - ItemSide;
        for (int t = 0; t < Frames; t++)
            path[t] = (Reflect(start.x + direction.x * step * t, room), Reflect(start.y + direction.y * step * t, room));
        return path;
    }

    private static double Reflect(double v, double room) => v < 0 ? -v : v > room ? 2 * room - v : v;

    // Overlapping items keep the brighter pixel, so that neither hides the other.
    private void Paste(Image8 item, (double x, double y) at, float[] clip, int frame)
    {
        int x0 = (int)Math.Round(at.x), y0 = (int)Math.Round(at.y), plane = Side * Side;
        for (int y = 0; y < item.Height; y++)
        for (int x = 0; x < item.Width; x++)
        {
            int cy = y0 + y, cx = x0 + x;
            if ((uint)cy >= (uint)Side || (uint)cx >= (uint)Side) continue;
            ref float dst = ref clip[frame * plane + cy * Side + cx];
            dst = Math.Max(dst, item[y, x] / 255f);
        }
    }

    private static double Distance((double x, double y) a, (double x, double y) b) => Math.Sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y));
}
