using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>Zoo.Create's weights depend on its seed alone: not on what was built before, nor on the thread.</summary>
public sealed class ZooSeedTests
{
    private static Dictionary<string, float[]> Weights(Module model) => model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    [Fact]
    public void TheSameSeedGivesTheSameWeightsWhateverCameBefore()
    {
        Dictionary<string, float[]> first;
        using (var a = Zoo.Create("se_resnet20", seed: 5)) first = Weights(a);
        // Other models, and the thread's own generator, drawn from in between.
        using (Zoo.Create("gc_resnet20", seed: 9)) { }
        using (new Conv2d(3, 8, 3)) { }
        Initializers.Seed(1234);
        Dictionary<string, float[]> again = [], elsewhere = [], other;
        using (var b = Zoo.Create("se_resnet20", seed: 5)) again = Weights(b);
        var thread = new Thread(() =>
        {
            using var c = Zoo.Create("se_resnet20", seed: 5);
            elsewhere = Weights(c);
        });
        thread.Start();
        thread.Join();
        using (var d = Zoo.Create("se_resnet20", seed: 6)) other = Weights(d);

        foreach (var (key, values) in first)
        {
            Assert.Equal(values, again[key]);
            Assert.Equal(values, elsewhere[key]);
        }
        Assert.NotEqual(first["layer1.0.conv1.weight"], other["layer1.0.conv1.weight"]);
    }

    [Fact]
    public void BuildingAZooModelLeavesTheThreadsGeneratorAlone()
    {
        Initializers.Seed(77);
        float[] expected;
        using (var conv = new Conv2d(2, 2, 3)) expected = conv.Weight.ToArray();
        Initializers.Seed(77);
        using (Zoo.Create("resnet20", seed: 3)) { }
        using var after = new Conv2d(2, 2, 3);
        Assert.Equal(expected, after.Weight.ToArray());
    }
}
