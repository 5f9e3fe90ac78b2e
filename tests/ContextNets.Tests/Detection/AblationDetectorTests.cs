using ContextNets.Attention;
using ContextNets.Detection;

namespace ContextNets.Tests.Detection;

/// <summary>
/// The ResNet-18 detectors of GCNet's ablation on the scenes: GC r16 after the last conv and norm of every block of
/// c3-c5 and none in c2, as the GCNet paper places it; one NL block in res4, before its last block, as the Non-local
/// paper does; and otherwise the plain ResNet-18 detector's parameters, key for key.
/// </summary>
public class AblationDetectorTests
{
    [Fact]
    public void TheGcDetectorHasGcR16AfterEveryBlockOfC3ToC5()
    {
        using var model = DetectionZoo.Create("gc_maskrcnn_resnet18_fpn", 3);
        var gcs = model.NamedModules().Where(m => m.module is GlobalContext).ToList();
        string[] expected = [.. from layer in new[] { 2, 3, 4 } from block in new[] { 0, 1 } select $"backbone.body.layer{layer}.{block}.se"];
        Assert.Equal(expected, gcs.Select(m => m.name));
        Assert.All(gcs, m =>
        {
            var gc = (GlobalContext)m.module;
            Assert.Equal(ContextPooling.Attention, gc.Pooling);
            Assert.Equal(ContextFusion.Add, gc.Fusion);
            Assert.Equal(gc.Channels / 16, gc.ReducedChannels);
        });
        AssertPlainDetectorPlus(model, ".se.");
    }

    [Fact]
    public void TheNlDetectorHasOneNlBlockBeforeTheLastBlockOfRes4()
    {
        using var model = DetectionZoo.Create("nl_maskrcnn_resnet18_fpn", 3);
        var nls = model.NamedModules().Where(m => m.module is NonLocal).Select(m => m.name).ToList();
        Assert.Single(nls);
        Assert.StartsWith("backbone.body.layer3.", nls[0]);
        AssertPlainDetectorPlus(model, nls[0] + ".");
    }

    [Fact]
    public void TheAblationDetectorsAreListed()
    {
        Assert.Contains("gc_maskrcnn_resnet18_fpn", DetectionZoo.Names);
        Assert.Contains("nl_maskrcnn_resnet18_fpn", DetectionZoo.Names);
    }

    /// <summary>The plain ResNet-18 detector's parameter keys and shapes, made once for both attention detectors.</summary>
    private static readonly Lazy<List<(string, Shape)>> PlainParameters = new(() =>
    {
        using var plain = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3);
        return [.. plain.NamedParameters().Select(p => (p.name, p.tensor.Shape))];
    });

    /// <summary>Every parameter of <paramref name="model"/> outside its attention blocks is the plain detector's, same key and shape.</summary>
    private static void AssertPlainDetectorPlus(MaskRcnn model, string attentionKey)
    {
        var ours = model.NamedParameters().Where(p => !p.name.Contains(attentionKey, StringComparison.Ordinal)).Select(p => (p.name, p.tensor.Shape));
        Assert.Equal(PlainParameters.Value, ours);
    }
}
