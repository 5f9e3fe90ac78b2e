namespace ContextNets.NN;

/// <summary>
/// Parameter initialization, as PyTorch does it, from one seeded generator so
/// that a model built twice with the same seed has the same weights.
/// </summary>
public static class Initializers
{
    [ThreadStatic] private static Random? _rng;
    [ThreadStatic] private static int _skipDepth;

    private static Random Rng => _rng ??= new Random(0);

    /// <summary>Reseeds the generator that every layer's initialization draws from (on this thread).</summary>
    public static void Seed(int seed) => _rng = new Random(seed);

    /// <summary>
    /// While the returned scope is open, initializers on this thread draw from a generator seeded with
    /// <paramref name="seed"/>; the thread's generator comes back, untouched, when it ends. What is built inside then
    /// depends on the seed alone, not on what was built before.
    /// </summary>
    public static SeedScope Seeded(int seed) => new(seed);

    public readonly struct SeedScope : IDisposable
    {
        private readonly Random? _previous;

        public SeedScope(int seed)
        {
            _previous = _rng;
            _rng = new Random(seed);
        }

        public void Dispose() => _rng = _previous;
    }

    /// <summary>
    /// While the returned scope is open, random initializers on this thread leave parameters at zero. Models built
    /// only to be measured (parameter and FLOP counts) then cost an allocation instead of millions of draws.
    /// </summary>
    public static SkipScope SkipRandom() => new();

    public readonly struct SkipScope : IDisposable
    {
        public SkipScope() => _skipDepth++;
        public void Dispose() => _skipDepth--;
    }

    /// <summary>U(-bound, bound).</summary>
    public static Action<Span<float>> Uniform(double bound) => span =>
    {
        if (_skipDepth > 0) return;
        var rng = Rng;
        for (int i = 0; i < span.Length; i++) span[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
    };

    /// <summary>N(0, std^2).</summary>
    public static Action<Span<float>> Normal(double std) => span =>
    {
        if (_skipDepth > 0) return;
        var rng = Rng;
        for (int i = 0; i < span.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            span[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    };

    /// <summary>PyTorch's default for conv and linear weights and biases: kaiming_uniform(a = sqrt 5) comes to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    public static Action<Span<float>> FanIn(int fanIn) => Uniform(1.0 / Math.Sqrt(Math.Max(1, fanIn)));

    /// <summary>kaiming_normal(mode = fan_out, ReLU), what torchvision and timm use for ResNet convs.</summary>
    public static Action<Span<float>> KaimingNormalFanOut(int fanOut) => Normal(Math.Sqrt(2.0 / Math.Max(1, fanOut)));

    public static Action<Span<float>> Constant(float value) => span => span.Fill(value);
}
