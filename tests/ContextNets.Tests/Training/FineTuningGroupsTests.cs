using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>Freezing and a backbone learning rate as the optimizer sees them.</summary>
public sealed class FineTuningGroupsTests
{
    [Fact]
    public void AFrozenModuleTakesNoGradientAndStaysInEvalModeThroughTrain()
    {
        using var model = Zoo.Create("resnet20", 10);
        var stage = model.NamedChildren().Single(c => c.name == "layer1").module;
        stage.Freeze();
        model.Train();
        Assert.All(stage.NamedModules(), m => Assert.False(m.module.Training));
        Assert.All(stage.NamedParameters(), p => Assert.False(p.tensor.RequiresGrad));
        Assert.True(model.NamedChildren().Single(c => c.name == "layer2").module.Training);
        using var sgd = Sgd.For(model, 0.1);
        Assert.DoesNotContain(sgd.Groups.SelectMany(g => g.Parameters), p => p.name.StartsWith("layer1.", StringComparison.Ordinal));
        Assert.Equal(model.NamedParameters().Count(p => !p.name.StartsWith("layer1.", StringComparison.Ordinal)), sgd.Groups.Sum(g => g.Parameters.Count));
    }

    [Fact]
    public void TheBackboneGroupsScaleTheLearningRateAndTheHeadKeepsIt()
    {
        using var model = Zoo.Create("resnet20", 10);
        var groups = ParamGroups.WithBackboneLr(ParamGroups.NoDecayOnNormAndBias(model, 5e-4), name => name.StartsWith("fc.", StringComparison.Ordinal), 0.1);
        var byName = groups.SelectMany(g => g.Parameters.Select(p => (p.name, g))).ToDictionary(x => x.name, x => x.g);
        Assert.Equal(model.NamedParameters().Count(), byName.Count);
        Assert.Equal(1, byName["fc.weight"].LrScale);
        Assert.Equal(5e-4, byName["fc.weight"].WeightDecay);
        Assert.Equal(1, byName["fc.bias"].LrScale);
        Assert.Equal(0, byName["fc.bias"].WeightDecay);
        Assert.Equal(0.1, byName["layer3.0.conv1.weight"].LrScale);
        Assert.Equal(0.1, byName["bn1.weight"].LrScale);
        Assert.Equal(0, byName["bn1.weight"].WeightDecay);
    }
}
