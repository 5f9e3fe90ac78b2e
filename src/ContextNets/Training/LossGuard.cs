using System.Globalization;

namespace ContextNets.Training;

/// <summary>
/// Raised when the loss stops being a finite number or explodes: the run must stop before anything of it is saved.
/// The message says what happened and what to change; whether a checkpoint is left is the caller's to say.
/// </summary>
public sealed class TrainingDivergedException(long step, double loss, string why)
    : Exception($"Training diverged at step {step}: the loss is {loss.ToString("G4", CultureInfo.InvariantCulture)}{why}. " +
                "Lower the learning rate, clip the gradients or lengthen the warmup.")
{
    public long Step { get; } = step;
    public double Loss { get; } = loss;
}

public static class LossGuard
{
    /// <summary>
    /// How far above the first step's loss (or 1, whichever is larger) a loss may go before the run counts as
    /// exploded. A cross-entropy starts near ln(classes) and falls; a thousand times that is weights blown apart
    /// (AdamW at lr 1e6 reaches 3e15 while staying finite), not a hard batch.
    /// </summary>
    public const double ExplosionFactor = 1000;

    /// <summary>
    /// Throws <see cref="TrainingDivergedException"/> when <paramref name="loss"/> is NaN or infinite, or more than
    /// <see cref="ExplosionFactor"/> times <paramref name="initial"/> (the first loss this run saw) when given.
    /// </summary>
    public static void Check(double loss, long step, double? initial = null)
    {
        if (!double.IsFinite(loss)) throw new TrainingDivergedException(step, loss, "");
        if (initial is { } first && double.IsFinite(first) && loss > ExplosionFactor * Math.Max(first, 1))
            throw new TrainingDivergedException(step, loss,
                string.Create(CultureInfo.InvariantCulture, $", over {ExplosionFactor:G} times the first step's {first:G4} (the loss exploded)"));
    }

    /// <summary>The same for a one-element loss tensor.</summary>
    public static void Check(Tensor loss, long step, double? initial = null) => Check(loss.Item(), step, initial);
}
