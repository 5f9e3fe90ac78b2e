namespace ContextNets.Attention;

/// <summary>timm's make_divisible: the reduced width of an attention bottleneck.</summary>
internal static class Divisible
{
    /// <summary>
    /// v rounded to the nearest multiple of <paramref name="divisor"/>, at least
    /// <paramref name="minValue"/> (the divisor when null), and raised by one
    /// divisor when rounding lost more than 1 - roundLimit of v.
    /// </summary>
    public static int Make(double v, int divisor, int? minValue = null, double roundLimit = 0.9)
    {
        if (divisor < 1) throw new ArgumentException($"make_divisible: the divisor must be positive, got {divisor}.");
        int min = minValue ?? divisor;
        int rounded = Math.Max(min, (int)Math.Floor(v + divisor / 2.0) / divisor * divisor);
        return rounded < roundLimit * v ? rounded + divisor : rounded;
    }

    /// <summary>The bottleneck width of a block: rdChannels when given, else make_divisible(channels * rdRatio, rdDivisor, round_limit 0).</summary>
    public static int Reduced(string block, int channels, double rdRatio, int? rdChannels, int rdDivisor)
    {
        if (rdChannels is { } rd)
        {
            if (rd < 1) throw new ArgumentException($"{block}: rd_channels must be positive, got {rd}.");
            return rd;
        }
        if (!(rdRatio > 0)) throw new ArgumentException($"{block}: rd_ratio must be positive, got {rdRatio}.");
        return Make(channels * rdRatio, rdDivisor, roundLimit: 0.0);
    }
}
