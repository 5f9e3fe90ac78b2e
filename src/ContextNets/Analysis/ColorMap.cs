namespace ContextNets.Analysis;

/// <summary>
/// A perceptually ordered colour map close to matplotlib's viridis (dark purple, blue, green, yellow),
/// interpolated linearly between nine anchors. It reads in gray print too, and stays clear of the
/// query markers' reds, magentas and whites.
/// </summary>
public static class ColorMap
{
    private static readonly (byte r, byte g, byte b)[] Anchors =
    [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ];

    /// <summary>The colour of <paramref name="t"/> in [0, 1] (clamped; NaN is 0).</summary>
    public static (byte r, byte g, byte b) At(double t)
    {
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        double x = t * (Anchors.Length - 1);
        int i = Math.Min((int)x, Anchors.Length - 2);
        double f = x - i;
        var (a, b) = (Anchors[i], Anchors[i + 1]);
        return (Mix(a.r, b.r, f), Mix(a.g, b.g, f), Mix(a.b, b.b, f));
    }

    private static byte Mix(byte a, byte b, double f) => (byte)Math.Round(a + (b - a) * f);
}
