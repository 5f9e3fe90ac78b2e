using ContextNets.Detection;
using ContextNets.Detection.Backbone;
using ContextNets.Models;

namespace ContextNets.Tests.Detection;

/// <summary>
/// A detector's body from a trained classifier (<see cref="DetectorBody.LoadFrom"/>, `train --task detect --init`):
/// every tensor but the head lands under its own key, a gray stem is spread over the colour channels, attention
/// blocks the classifier lacks are named, and a classifier of another layout is refused.
/// </summary>
public class PretrainedBodyTests
{
    [Fact]
    public void EveryTensorButTheHeadLandsUnderItsKey()
    {
        using var classifier = Zoo.Create("resnet18", numClasses: 10, seed: 5);
        using var detector = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, seed: 1);
        var fresh = DetectorBody.LoadFrom(detector.Backbone.Body, classifier);
        Assert.Empty(fresh);
        var body = detector.Backbone.Body.StateDict();
        var source = classifier.StateDict();
        Assert.Equal(source.Keys.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal)).Order(), body.Keys.Order());
        foreach (var (key, tensor) in body) Assert.True(tensor.ToArray().SequenceEqual(source[key].ToArray()), $"{key} differs");
    }

    [Fact]
    public void AGrayStemGivesEachColourChannelAThirdOfItsKernel()
    {
        using var classifier = Zoo.Create("resnet18", numClasses: 10, inChannels: 1, seed: 5);
        using var detector = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, seed: 1);
        DetectorBody.LoadFrom(detector.Backbone.Body, classifier);
        var gray = classifier.StateDict()["conv1.weight"];
        var colour = detector.Backbone.Body.StateDict()["conv1.weight"];
        Assert.Equal(new Shape(64, 1, 7, 7), gray.Shape);
        Assert.Equal(new Shape(64, 3, 7, 7), colour.Shape);
        float[] g = gray.ToArray(), c = colour.ToArray();
        for (int o = 0; o < 64; o++)
            for (int ch = 0; ch < 3; ch++)
                for (int p = 0; p < 49; p++) Assert.Equal(g[o * 49 + p] / 3, c[(o * 3 + ch) * 49 + p]);
    }

    [Fact]
    public void AttentionBlocksTheClassifierLacksAreNamedAndKeepTheirInitialization()
    {
        using var classifier = Zoo.Create("resnet18", numClasses: 10, seed: 5);
        using var detector = DetectionZoo.Create("gc_maskrcnn_resnet18_fpn", 3, seed: 1);
        var before = detector.Backbone.Body.StateDict().Where(kv => kv.Key.Contains(".se.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var fresh = DetectorBody.LoadFrom(detector.Backbone.Body, classifier);
        Assert.Equal(before.Keys.Order(), fresh.Order());
        var after = detector.Backbone.Body.StateDict();
        foreach (var (key, values) in before) Assert.True(after[key].ToArray().SequenceEqual(values), $"{key} changed");
        Assert.Equal("resnet18", DetectionZoo.PretrainedBodyOf("gc_maskrcnn_resnet18_fpn"));
    }

    [Fact]
    public void AClassifierOfAnotherLayoutIsRefused()
    {
        using var classifier = Zoo.Create("resnet34", numClasses: 10, seed: 5);
        using var detector = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => DetectorBody.LoadFrom(detector.Backbone.Body, classifier));
        Assert.Contains("layer1.2.", e.Message);
    }
}
