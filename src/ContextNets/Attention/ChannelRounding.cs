namespace ContextNets.Attention;

/// <summary>timm's make_divisible: the inner widths of attention blocks, as multiples of a divisor.</summary>
internal static class ChannelRounding
{
    /// <summary>v rounded to the nearest multiple of divisor, at least minValue (default: divisor), and bumped up one step when rounding lost more than 1 - roundLimit of v.</summary>
    public static int MakeDivisible(double v, int divisor, int? minValue = null, double roundLimit = 0.9)
    {
        if (divisor < 1) throw new ArgumentException($"make_divisible: the divisor must be at least 1, got {divisor}.");
        int rounded = Math.Max(minValue ?? divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        return rounded < roundLimit * v ? rounded + divisor : rounded;
    }
}
