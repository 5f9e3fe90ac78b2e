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
        Assert.Contains("last good checkpoint", ex.Message);
    }

    [Fact]
    public void FiniteLossPasses()
    {
        LossGuard.Check(2.5, 1);
        LossGuard.Check(0.0, 2);
    }
}
