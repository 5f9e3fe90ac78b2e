namespace ContextNets.Training;

/// <summary>Raised when the loss stops being a finite number: the run must stop and keep its last good checkpoint.</summary>
public sealed class TrainingDivergedException(long step, double loss)
    : Exception($"Training diverged at step {step}: the loss is {loss}. The last good checkpoint is kept; " +
                "resume from it with a lower learning rate, gradient clipping or a longer warmup.")
{
    public long Step { get; } = step;
    public double Loss { get; } = loss;
}

public static class LossGuard
{
    /// <summary>Throws <see cref="TrainingDivergedException"/> when <paramref name="loss"/> is NaN or infinite.</summary>
    public static void Check(double loss, long step)
    {
        if (!double.IsFinite(loss)) throw new TrainingDivergedException(step, loss);
    }

    /// <summary>The same for a one-element loss tensor.</summary>
    public static void Check(Tensor loss, long step) => Check(loss.Item(), step);
}
