using System.Text.Json.Serialization;

namespace ContextNets.Training;

/// <summary>
/// A learning rate as a pure function of the optimizer step, so that the
/// schedule's position in a checkpoint is just the step. A linear warmup
/// goes from <see cref="WarmupStartLr"/> at step 0 to <see cref="BaseLr"/> at
/// <see cref="WarmupSteps"/>. With <see cref="Interval"/> = steps per epoch
/// the rate changes only at epoch starts (timm's per-epoch mode); the default
/// of 1 changes it every step. Records, so that a run's config.json can hold one.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(CosineSchedule), "cosine")]
[JsonDerivedType(typeof(StepSchedule), "step")]
[JsonDerivedType(typeof(PolySchedule), "poly")]
public abstract record LrSchedule
{
    protected LrSchedule(double baseLr, long warmupSteps, double warmupStartLr, long interval)
    {
        if (!(baseLr >= 0) || !(warmupStartLr >= 0)) throw new ArgumentException($"Learning rates must be >= 0 (base {baseLr}, warmup start {warmupStartLr}).");
        if (warmupSteps < 0) throw new ArgumentException($"Warmup steps must be >= 0, not {warmupSteps}.");
        if (interval < 1) throw new ArgumentException($"The schedule interval must be >= 1 step, not {interval}.");
        BaseLr = baseLr;
        WarmupSteps = warmupSteps;
        WarmupStartLr = warmupStartLr;
        Interval = interval;
    }

    public double BaseLr { get; }
    public long WarmupSteps { get; }
    public double WarmupStartLr { get; }
    public long Interval { get; }

    /// <summary>The learning rate for the update that follows <paramref name="step"/> updates.</summary>
    public double LrAt(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"A schedule starts at step 0, not {step}.");
        step -= step % Interval;
        if (step < WarmupSteps) return WarmupStartLr + (BaseLr - WarmupStartLr) * step / WarmupSteps;
        return AfterWarmup(step);
    }

    /// <summary>Sets the optimizer's rate for the update that follows <paramref name="step"/> updates.</summary>
    public void Apply(Optimizer optimizer, long step) => optimizer.LearningRate = LrAt(step);

    protected abstract double AfterWarmup(long step);
}

/// <summary>
/// Half a cosine from <see cref="LrSchedule.BaseLr"/> at the end of warmup down to <see cref="MinLr"/> at
/// <see cref="TotalSteps"/> (and <see cref="MinLr"/> after): the cosine spans the steps after warmup, so the
/// rate is continuous where warmup ends.
/// </summary>
public sealed record CosineSchedule : LrSchedule
{
    public CosineSchedule(double baseLr, long totalSteps, long warmupSteps = 0, double warmupStartLr = 0, double minLr = 0, long interval = 1)
        : base(baseLr, warmupSteps, warmupStartLr, interval)
    {
        if (totalSteps <= warmupSteps) throw new ArgumentException($"A cosine schedule needs more total steps ({totalSteps}) than warmup steps ({warmupSteps}).");
        if (!(minLr >= 0)) throw new ArgumentException($"The minimum learning rate must be >= 0, not {minLr}.");
        TotalSteps = totalSteps;
        MinLr = minLr;
    }

    public long TotalSteps { get; }
    public double MinLr { get; }

    protected override double AfterWarmup(long step)
    {
        double t = Math.Min(step - WarmupSteps, TotalSteps - WarmupSteps) / (double)(TotalSteps - WarmupSteps);
        return MinLr + 0.5 * (BaseLr - MinLr) * (1 + Math.Cos(Math.PI * t));
    }
}

/// <summary>torch's MultiStepLR after warmup: the base rate times gamma for every milestone at or before the step (milestones are absolute steps).</summary>
public sealed record StepSchedule : LrSchedule
{
    public StepSchedule(double baseLr, long[] milestones, double gamma = 0.1, long warmupSteps = 0, double warmupStartLr = 0, long interval = 1)
        : base(baseLr, warmupSteps, warmupStartLr, interval)
    {
        for (int i = 1; i < milestones.Length; i++)
            if (milestones[i] <= milestones[i - 1]) throw new ArgumentException($"Milestones must increase: [{string.Join(", ", milestones)}].");
        if (!(gamma > 0)) throw new ArgumentException($"Gamma must be > 0, not {gamma}.");
        Milestones = milestones;
        Gamma = gamma;
    }

    public long[] Milestones { get; }
    public double Gamma { get; }

    protected override double AfterWarmup(long step)
    {
        int passed = 0;
        while (passed < Milestones.Length && Milestones[passed] <= step) passed++;
        return BaseLr * Math.Pow(Gamma, passed);
    }
}
