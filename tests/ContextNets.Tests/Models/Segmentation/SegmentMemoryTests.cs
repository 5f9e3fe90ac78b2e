using System.Diagnostics;
using ContextNets.Data;
using ContextNets.Data.Transforms;
using ContextNets.Models.Segmentation;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Models.Segmentation;

/// <summary>
/// Memory over 1000 calls of what `ctxnet segment` does per image (class map, overlay) on a CCNet segmenter: after a
/// warm-up of 100 calls, the native buffer pool's live bytes must not move at all, the managed heap after a full
/// collection may not grow by 1 MB (one leaked class map and overlay per call would add 43 MB), and the process's
/// resident set by 64 MB. The external tier holds it for its cost only (380 s under a load average of 70 on 2 cores;
/// about 100 s of CPU time); the quick tier checks
/// the pool over 300 calls (ImageSegmentationTests).
/// </summary>
[Collection(PoolCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class SegmentMemoryTests(ITestOutputHelper output)
{
    private const int Calls = 1000, WarmUp = 100;

    [Fact]
    public void MemoryStaysFlatOverAThousandSegmentCalls()
    {
        using var model = Segmenters.Create("ccnet_resnet18", classes: 4, outputStride: 16, seed: 1);
        model.Eval();
        var image = new Image8(120, 90, 3);
        var rng = new Rng(5);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)rng.NextInt(256);
        long pool = 0, managed = 0, resident = 0;
        var clock = Stopwatch.StartNew();
        for (int call = 1; call <= Calls; call++)
        {
            var map = ImageSegmentation.ClassMap(model, image, 32, Normalize.ImageNet);
            var overlay = ImageSegmentation.Overlay(image, map);
            Assert.Equal(image.Pixels.Length, overlay.Pixels.Length);
            if (call == WarmUp) (pool, managed, resident) = (BufferPool.LiveBytes, Managed(), Resident());
            if (call > WarmUp) Assert.Equal(pool, BufferPool.LiveBytes);
        }
        long managedGrowth = Managed() - managed, residentGrowth = Resident() - resident;
        output.WriteLine($"{Calls} calls in {clock.Elapsed.TotalSeconds:F1} s; after call {WarmUp}: pool {pool} B live (unchanged to the end), " +
                         $"managed heap {managedGrowth / 1024.0:F0} KiB more, resident set {residentGrowth / 1048576.0:F1} MiB more");
        Assert.True(managedGrowth < 1 << 20, $"the managed heap grew by {managedGrowth} bytes over {Calls - WarmUp} calls");
        Assert.True(residentGrowth < 64 << 20, $"the resident set grew by {residentGrowth >> 20} MiB over {Calls - WarmUp} calls");
    }

    private static long Managed()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long Resident()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }
}
