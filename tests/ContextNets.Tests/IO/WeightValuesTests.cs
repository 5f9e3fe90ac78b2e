using ContextNets.IO;
using ContextNets.Models;

namespace ContextNets.Tests.IO;

/// <summary>Weights no trained model holds are refused by name when loaded, and the model keeps its own.</summary>
public sealed class WeightValuesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-values-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("layer2.0.conv1.weight", float.NaN, "not finite")]
    [InlineData("fc.bias", float.PositiveInfinity, "not finite")]
    [InlineData("layer1.1.bn2.running_mean", float.NegativeInfinity, "not finite")]
    [InlineData("layer1.1.bn2.running_var", -0.5f, "variance cannot be negative")]
    public void ABadValueIsRefusedByNameAndNothingIsCopied(string key, float value, string reason)
    {
        string path = Path.Combine(_dir, "bad.safetensors");
        using (var source = Zoo.Create("resnet20", seed: 1))
        {
            var t = source.StateDict()[key];
            var values = t.ToArray();
            values[values.Length / 2] = value;
            t.CopyFrom(values);
            source.Save(path);
        }
        using var model = Zoo.Create("resnet20", seed: 2);
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => model.Load(path));
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains(reason, e.Message);
        foreach (var (k, t) in model.StateDict()) Assert.Equal(before[k], t.ToArray());
    }

    [Fact]
    public void ZeroVarianceAndLargeFiniteValuesAreAccepted()
    {
        string path = Path.Combine(_dir, "edge.safetensors");
        using (var source = Zoo.Create("resnet20", seed: 1))
        {
            var sd = source.StateDict();
            sd["layer1.0.bn1.running_var"].CopyFrom(new float[sd["layer1.0.bn1.running_var"].Numel]);
            var fc = sd["fc.bias"];
            fc.CopyFrom(Enumerable.Repeat(float.MaxValue, fc.Numel).ToArray());
            source.Save(path);
        }
        using var model = Zoo.Create("resnet20");
        Assert.True(model.Load(path).IsComplete);
        Assert.All(model.StateDict()["fc.bias"].ToArray(), v => Assert.Equal(float.MaxValue, v));
    }
}
