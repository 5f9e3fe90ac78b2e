namespace ContextNets.NN;

/// <summary>
/// torch.nn.Dropout: inverted dropout with probability <see cref="P"/> in training, the identity in eval mode. Seeded
/// (<see cref="INoiseSource"/>), its masks follow from the seed and the forwards since; unseeded, each forward draws anew.
/// </summary>
public sealed class Dropout(float p) : Module, INoiseSource
{
    private long? _seed;

    public float P { get; } = p is >= 0f and < 1f ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability is in [0, 1).");

    public void SeedNoise(long seed) => _seed = seed;

    public override Tensor Forward(Tensor x)
    {
        var seed = _seed;
        // A second forward after one seeding draws a different mask, as an unseeded one would.
        if (Training && _seed is { } s) _seed = unchecked(s * 6364136223846793005L + 1442695040888963407L);
        return F.Dropout(x, P, Training, seed);
    }
}
