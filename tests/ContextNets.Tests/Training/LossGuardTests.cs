using ContextNets.Training;

namespace ContextNets.Tests.Training;

public class LossGuardTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteLossStopsWithStepAndValue(float loss)
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<TrainingDivergedException>(() => LossGuard.Check(Tensor.Scalar(loss), 1234));
        Assert.Equal(1234, ex.Step);
        Assert.Contains("step 1234", ex.Message);
        Assert.Contains(((double)loss).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        // Whether a checkpoint is left is the caller's to say, once: the exception claims nothing about it.
        Assert.DoesNotContain("checkpoint", ex.Message);
        Assert.Contains("Lower the learning rate", ex.Message);
    }

    [Fact]
    public void AnExplodingFiniteLossStops()
    {
        var ex = Assert.Throws<TrainingDivergedException>(() => LossGuard.Check(3e15, 7, initial: 2.3));
        Assert.Contains("step 7", ex.Message);
        Assert.Contains("over 1000 times the first step's 2.3 (the loss exploded)", ex.Message);
    }

    [Fact]
    public void ALossBelowTheExplosionLimitPasses()
    {
        LossGuard.Check(2000, 7, initial: 2.3);
        // A small first loss (a resumed, well-trained run) is measured against 1, not against itself.
        LossGuard.Check(5, 8, initial: 0.01);
        Assert.Throws<TrainingDivergedException>(() => LossGuard.Check(1001, 9, initial: 0.01));
    }

    [Fact]
    public void FiniteLossPasses()
    {
        LossGuard.Check(2.5, 1);
        LossGuard.Check(0.0, 2);
    }
}
