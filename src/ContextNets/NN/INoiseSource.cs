namespace ContextNets.NN;

/// <summary>
/// A module whose training-mode forward draws random numbers (DropBlock). A trainer seeds it before every step from
/// the run's seed and the step, so that a resumed run draws the same masks as an uninterrupted one. Unseeded, each
/// forward draws fresh ones.
/// </summary>
public interface INoiseSource
{
    void SeedNoise(long seed);
}
