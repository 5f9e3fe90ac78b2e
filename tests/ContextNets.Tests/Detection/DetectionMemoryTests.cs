using System.Diagnostics;
using ContextNets.Data;
using ContextNets.Detection;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Detection;

/// <summary>
/// The in-process path of `ctxnet detect` (<see cref="ImageDetection.Detect"/>) keeps the native pool's live bytes
/// flat over 1000 calls: every tensor of a call lives in its scope. The smallest body on a 53x37 image, with 10
/// proposals and 1 detection (each detection costs the mask head 0.46 GMAC), still takes tens of seconds, so the
/// class is in the external tier, beside the other long checks. The pool's byte count is the process's, so it runs alone.
/// </summary>
[Trait(Tier.Key, Tier.External)]
[Collection(PoolCollection.Name)]
public class DetectionMemoryTests(ITestOutputHelper output)
{
    public const int Calls = 1000;

    [Fact]
    public void NativeMemoryStaysFlatOverAThousandDetectCalls()
    {
        var settings = new DetectorSettings { MinSize = 48, MaxSize = 64, RpnPreNmsTopNTest = 100, RpnPostNmsTopNTest = 10, BoxDetectionsPerImage = 1 };
        using var model = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, settings);
        model.Eval();
        var image = new Image8(53, 37, 3);
        var rng = new Rng(5);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)rng.NextInt(256);
        long steady = 0, rssAtSteady = 0;
        var clock = Stopwatch.StartNew();
        for (int call = 1; call <= Calls; call++)
        {
            var d = ImageDetection.Detect(model, image, 0f);
            Assert.Equal(1, d.Count);
            Assert.Equal(53 * 37, d.Masks.Length);
            // The first calls fill the pool and the weights' reorder cache; after that nothing may grow.
            if (call == 10) (steady, rssAtSteady) = (BufferPool.LiveBytes, Process.GetCurrentProcess().WorkingSet64);
            if (call > 10) Assert.Equal(steady, BufferPool.LiveBytes);
        }
        output.WriteLine($"{clock.Elapsed.TotalMilliseconds / Calls:F1} ms per call; pool {steady >> 10} KiB live throughout; " +
            $"RSS {rssAtSteady >> 20} MiB at call 10, {Process.GetCurrentProcess().WorkingSet64 >> 20} MiB at call {Calls}");
    }
}
