using System.Text.Json;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

public class ScheduleTests
{
    private static void Near(double expected, double actual) => Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{actual:R}, expected {expected:R}");

    [Fact]
    public void CosineWithWarmupAtKeySteps()
    {
        var s = new CosineSchedule(baseLr: 0.4, totalSteps: 1100, warmupSteps: 100, warmupStartLr: 0.004, minLr: 0.001);
        Near(0.004, s.LrAt(0));                                   // warmup start
        Near(0.004 + (0.4 - 0.004) * 50 / 100.0, s.LrAt(50));     // linear inside warmup
        Near(0.4, s.LrAt(100));                                   // warmup end = base: continuous
        Near((0.4 + 0.001) / 2, s.LrAt(600));                     // cosine midpoint
        Near(0.001 + 0.5 * (0.4 - 0.001) * (1 + Math.Cos(Math.PI * 0.25)), s.LrAt(350));
        Near(0.001, s.LrAt(1100));                                // final
        Near(0.001, s.LrAt(5000));                                // and after
        for (long t = 101; t <= 1100; t++) Assert.True(s.LrAt(t) <= s.LrAt(t - 1), $"cosine rises at step {t}");
    }

    [Fact]
    public void CosineWithoutWarmupStartsAtBase()
    {
        var s = new CosineSchedule(0.1, 10);
        Near(0.1, s.LrAt(0));
        Near(0.05, s.LrAt(5));
        Near(0, s.LrAt(10));
    }

    [Fact]
    public void StepScheduleMultipliesByGammaAtMilestones()
    {
        var s = new StepSchedule(baseLr: 0.1, milestones: [300, 600], gamma: 0.1, warmupSteps: 10, warmupStartLr: 0);
        Near(0, s.LrAt(0));
        Near(0.05, s.LrAt(5));
        Near(0.1, s.LrAt(10));
        Near(0.1, s.LrAt(299));
        Near(0.01, s.LrAt(300));
        Near(0.01, s.LrAt(599));
        Near(0.001, s.LrAt(600));
        Near(0.001, s.LrAt(100_000));
    }

    [Fact]
    public void PolyFallsAsAPowerOfTheStepsLeft()
    {
        var s = new PolySchedule(baseLr: 0.02, totalSteps: 110, power: 0.9, warmupSteps: 10, warmupStartLr: 0.002);
        Near(0.002, s.LrAt(0));
        Near(0.02, s.LrAt(10));
        Near(0.02 * Math.Pow(0.5, 0.9), s.LrAt(60));
        Near(0.02 * Math.Pow(0.1, 0.9), s.LrAt(100));
        Near(0, s.LrAt(110));
        Near(0, s.LrAt(500));
        var json = JsonSerializer.Serialize<LrSchedule>(s);
        Assert.Equal(s, JsonSerializer.Deserialize<LrSchedule>(json));
    }

    [Fact]
    public void PerEpochIntervalHoldsTheRateWithinAnEpoch()
    {
        // 10 steps per epoch, 2 warmup epochs, 10 epochs: timm's per-epoch cosine.
        var s = new CosineSchedule(1.0, totalSteps: 100, warmupSteps: 20, warmupStartLr: 0, interval: 10);
        Near(0, s.LrAt(9));
        Near(0.5, s.LrAt(10));
        Near(0.5, s.LrAt(19));
        Near(1.0, s.LrAt(20));
        Near(0.5 * (1 + Math.Cos(Math.PI * 10 / 80.0)), s.LrAt(35));
    }

    [Fact]
    public void ApplySetsTheOptimizerRate()
    {
        using var p = Tensor.EmptyUnscoped([2]);
        using var opt = new Sgd([new ParamGroup([("p", p)])], 1);
        new StepSchedule(0.2, [5]).Apply(opt, 7);
        Near(0.02, opt.LearningRate);
    }

    [Fact]
    public void SchedulesRoundTripThroughJson()
    {
        LrSchedule[] all = [new CosineSchedule(0.1, 1000, 50, 0.001, 1e-5, 10), new StepSchedule(0.1, [30, 60], 0.2, 5)];
        foreach (var s in all)
        {
            var back = JsonSerializer.Deserialize<LrSchedule>(JsonSerializer.Serialize(s))!;
            Assert.Equal(s.GetType(), back.GetType());
            for (long t = 0; t < 1200; t += 7) Assert.Equal(s.LrAt(t), back.LrAt(t));
        }
    }

    [Fact]
    public void BadSchedulesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new CosineSchedule(0.1, 10, warmupSteps: 10));
        Assert.Throws<ArgumentException>(() => new StepSchedule(0.1, [60, 30]));
        Assert.Throws<ArgumentException>(() => new CosineSchedule(-1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1, 10).LrAt(-1));
    }
}
