using ContextNets.Backend.Dnnl;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Backend;

/// <summary>
/// Engine.Threads set after first use reaches OpenMP on every thread that runs a kernel, and the results do not
/// depend on it. Alone in its collection: the count is process-wide.
/// </summary>
[Collection(PoolCollection.Name)]
public sealed class ThreadCountTests
{
    [Fact]
    public void ANewCountReachesEveryThreadAfterFirstUse()
    {
        int original = Engine.Threads;
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 8, 12, 12], 1);
        var w = Tensor.Randn([8, 8, 3, 3], 2, 0.1f);
        var before = F.Conv2d(x, w, padding: 1).ToArray();
        try
        {
            foreach (int threads in new[] { 1, 3, original })
            {
                Engine.Threads = threads;
                Assert.Equal(threads, Engine.Threads);
                // A thread that never ran a kernel before.
                int seen = 0;
                float[] y = [];
                var other = new Thread(() =>
                {
                    using var inner = Tensor.Scope();
                    y = F.Conv2d(x, w, padding: 1).ToArray();
                    seen = ThreadSettings.OpenMpThreadsOnThisThread();
                });
                other.Start();
                other.Join();
                Assert.Equal(threads, seen);
                var here = F.Conv2d(x, w, padding: 1).ToArray();
                Assert.Equal(threads, ThreadSettings.OpenMpThreadsOnThisThread());
                for (int i = 0; i < before.Length; i++)
                {
                    Assert.Equal(before[i], here[i], 1e-5f);
                    Assert.Equal(before[i], y[i], 1e-5f);
                }
            }
        }
        finally
        {
            Engine.Threads = original;
        }
    }

    [Fact]
    public void ACountBelowOneIsRefused() => Assert.Throws<ArgumentOutOfRangeException>(() => Engine.Threads = 0);
}
