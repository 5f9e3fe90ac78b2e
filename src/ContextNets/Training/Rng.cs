using System.Globalization;
using System.Numerics;

namespace ContextNets.Training;

/// <summary>
/// xoshiro256** (Blackman and Vigna): a small, fast generator whose whole state
/// is four 64-bit words, so a training run can save it in a checkpoint and a
/// resumed run draws exactly the numbers the uninterrupted run would have.
/// System.Random cannot do that: its state is neither readable nor settable.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the four words from SplitMix64, as the authors recommend, so that nearby seeds give unrelated streams.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    private Rng(ulong s0, ulong s1, ulong s2, ulong s3) => (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, n), without modulo bias (Lemire's multiply-and-reject).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"NextInt needs a positive bound, not {n}.");
        ulong bound = (ulong)n;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong hi = Math.BigMul(NextUInt64(), bound, out ulong lo);
            if (lo >= threshold) return (int)hi;
        }
    }

    /// <summary>Standard normal (Box-Muller; one value per call so that the state never holds a cached spare).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fisher-Yates, in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A generator for a separate stream (a worker, a dropout layer), seeded from this one's next output.</summary>
    public Rng Split() => new(NextUInt64());

    /// <summary>The state as 64 hex digits, for a checkpoint's JSON (exact, unlike a JSON number).</summary>
    public string SaveState() =>
        string.Create(CultureInfo.InvariantCulture, $"{_s0:x16}{_s1:x16}{_s2:x16}{_s3:x16}");

    /// <summary>A generator that continues from a state written by <see cref="SaveState"/>.</summary>
    public static Rng FromState(string state)
    {
        if (state is null || state.Length != 64 || !state.All(Uri.IsHexDigit))
            throw new FormatException($"An Rng state is 64 hex digits, not '{state}'.");
        var w = new ulong[4];
        for (int i = 0; i < 4; i++) w[i] = ulong.Parse(state.AsSpan(16 * i, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        if ((w[0] | w[1] | w[2] | w[3]) == 0) throw new FormatException("An all-zero Rng state is invalid: xoshiro would output zeros forever.");
        return new Rng(w[0], w[1], w[2], w[3]);
    }
}
