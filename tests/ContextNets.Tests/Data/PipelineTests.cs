using ContextNets.Data;
using ContextNets.Data.Transforms;

namespace ContextNets.Tests.Data;

public class PipelineTests
{
    [Theory]
    [InlineData(AutoPolicy.None, 2)]
    [InlineData(AutoPolicy.AutoAugment, 3)]
    [InlineData(AutoPolicy.RandAugment, 3)]
    public void RecipesKeepTheirOutputSize(AutoPolicy policy, int steps)
    {
        var fm = (Compose)Pipelines.FashionMnistTrain(policy);
        Assert.Equal(steps, fm.Steps.Count);
        var img = fm.Apply(new Image8(28, 28, 1), new Rng(1));
        Assert.Equal((28, 28), (img.Width, img.Height));
        var inet = Pipelines.ImageNetTrain(32, policy).Apply(new Image8(50, 40, 3), new Rng(2));
        Assert.Equal((32, 32, 3), (inet.Width, inet.Height, inet.Channels));
    }

    [Fact]
    public void EvalResizesTheShorterSideThenCropsTheCenter()
    {
        var img = Pipelines.ImageNetEval(224).Apply(new Image8(400, 300, 3), new Rng(0));
        Assert.Equal((224, 224), (img.Width, img.Height));
    }
}
