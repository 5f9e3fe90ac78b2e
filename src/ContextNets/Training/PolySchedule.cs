namespace ContextNets.Training;

/// <summary>
/// DeepLab's "poly" policy after warmup (the schedule of DeepLabV3, CCNet and torchvision's segmentation reference):
/// lr = base * (1 - t / T) ^ <see cref="Power"/>, with t the steps after warmup and T the steps from warmup to
/// <see cref="TotalSteps"/>; 0 from <see cref="TotalSteps"/> on. Power 0.9 is the papers'.
/// </summary>
public sealed record PolySchedule : LrSchedule
{
    public PolySchedule(double baseLr, long totalSteps, double power = 0.9, long warmupSteps = 0, double warmupStartLr = 0, long interval = 1)
        : base(baseLr, warmupSteps, warmupStartLr, interval)
    {
        if (totalSteps <= warmupSteps) throw new ArgumentException($"A poly schedule needs more total steps ({totalSteps}) than warmup steps ({warmupSteps}).");
        if (!(power > 0)) throw new ArgumentException($"The poly power must be > 0, not {power}.");
        TotalSteps = totalSteps;
        Power = power;
    }

    public long TotalSteps { get; }
    public double Power { get; }

    protected override double AfterWarmup(long step)
    {
        double t = Math.Min(step - WarmupSteps, TotalSteps - WarmupSteps) / (double)(TotalSteps - WarmupSteps);
        return BaseLr * Math.Pow(1 - t, Power);
    }
}
