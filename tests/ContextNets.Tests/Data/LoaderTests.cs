using ContextNets.Data;
using ContextNets.Data.Transforms;

namespace ContextNets.Tests.Data;

public class LoaderTests
{
    /// <summary>Images made from their index; optionally slow, failing at one index, or of a different size at one index.</summary>
    private sealed class FakeDataset(int count, int size = 6, int channels = 1, int delayMs = 0, int failAt = -1, int oddSizeAt = -1) : IDataset
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public int Count => count;
        public IReadOnlyList<string> Classes { get; } = ["a", "b", "c"];
        public int Label(int index) => index % 3;

        public Image8 Image(int index)
        {
            Interlocked.Increment(ref _calls);
            if (delayMs > 0) Thread.Sleep(delayMs);
            if (index == failAt) throw new InvalidDataException($"sample {index} is broken");
            int s = index == oddSizeAt ? size + 1 : size;
            return new Image8(s, s, channels, Enumerable.Range(0, s * s * channels).Select(i => (byte)((index * 31 + i * 7) % 256)).ToArray());
        }
    }

    private static readonly IImageTransform Augment = new Compose(new RandomCrop(6, padding: 2), new RandomHorizontalFlip());

    private static DataLoader Loader(IDataset ds, long seed, int batch = 4, bool dropLast = false, MemoryFormat format = MemoryFormat.Contiguous, Mixup? mix = null, int prefetch = 2) =>
        new(ds, Augment, Normalize.Unit(1), new LoaderOptions { BatchSize = batch, Seed = seed, DropLast = dropLast, Format = format, Mix = mix, Prefetch = prefetch });

    private static List<(int[] indices, int[] labels, float[] images, float[]? targets)> Take(DataLoader loader, int epoch)
    {
        var result = new List<(int[], int[], float[], float[]?)>();
        foreach (var b in loader.Epoch(epoch))
            using (b)
                result.Add((b.Indices, b.Labels, b.Images.ToArray(), b.Targets?.ToArray()));
        return result;
    }

    [Fact]
    public void SameSeedGivesTheSameBatchesWhateverTheTiming()
    {
        var fast = new FakeDataset(18);
        var slow = new FakeDataset(18, delayMs: 2);
        using var a = Loader(fast, seed: 7, mix: new Mixup(3));
        using var b = Loader(slow, seed: 7, mix: new Mixup(3), prefetch: 1);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var ea = Take(a, epoch);
            var eb = Take(b, epoch);
            Assert.Equal(5, ea.Count);
            for (int i = 0; i < ea.Count; i++)
            {
                Assert.Equal(ea[i].indices, eb[i].indices);
                Assert.Equal(ea[i].labels, eb[i].labels);
                Assert.Equal(ea[i].images, eb[i].images);
                Assert.Equal(ea[i].targets, eb[i].targets);
                Assert.Equal(ea[i].labels, ea[i].indices.Select(k => k % 3));
            }
        }
        Assert.NotEqual(Take(a, 0)[0].indices, Take(a, 1)[0].indices);
        using var c = Loader(fast, seed: 8);
        Assert.NotEqual(Take(a, 0)[0].images, Take(c, 0)[0].images);
    }

    [Fact]
    public void BackgroundBatchesEqualSynchronousOnesAndEveryIndexAppearsOnce()
    {
        using var loader = Loader(new FakeDataset(10), seed: 3);
        var batches = Take(loader, 4);
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b.indices).Order());
        for (int i = 0; i < batches.Count; i++)
        {
            using var sync = loader.MakeBatch(4, i);
            Assert.Equal(batches[i].images, sync.Images.ToArray());
            Assert.Equal(batches[i].indices, sync.Indices);
        }
    }

    [Theory]
    [InlineData(false, new[] { 4, 4, 2 })]
    [InlineData(true, new[] { 4, 4 })]
    public void DropLastLeavesOutTheShortBatch(bool dropLast, int[] sizes)
    {
        using var loader = Loader(new FakeDataset(10), seed: 1, dropLast: dropLast);
        Assert.Equal(sizes.Length, loader.BatchCount);
        Assert.Equal(sizes, Take(loader, 0).Select(b => b.labels.Length));
    }

    [Fact]
    public void WithoutShuffleTheOrderIsTheDatasetOrder()
    {
        using var loader = new DataLoader(new FakeDataset(7), null, Normalize.Unit(1), new LoaderOptions { BatchSize = 3, Shuffle = false });
        Assert.Equal(Enumerable.Range(0, 7), Take(loader, 5).SelectMany(b => b.indices));
    }

    /// <summary>Without augmentation the batch holds pixel / 255 at [n, 0, y, x], in either layout.</summary>
    [Theory]
    [InlineData(MemoryFormat.Contiguous)]
    [InlineData(MemoryFormat.ChannelsLast)]
    public void BatchesHoldTheNormalizedPixelsInTheAskedLayout(MemoryFormat format)
    {
        var ds = new FakeDataset(5, size: 3, channels: 3);
        using var loader = new DataLoader(ds, null, new Normalize([0.5f, 0f, 0f], [0.5f, 1f, 2f]), new LoaderOptions { BatchSize = 5, Shuffle = false, Format = format });
        foreach (var b in loader.Epoch(0))
            using (b)
            {
                Assert.Equal(new Shape(5, 3, 3, 3), b.Images.Shape);
                Assert.True(b.Images.IsIn(format));
                for (int n = 0; n < 5; n++)
                {
                    var img = ds.Image(n);
                    float[] mean = [0.5f, 0f, 0f], std = [0.5f, 1f, 2f];
                    for (int c = 0; c < 3; c++)
                        for (int y = 0; y < 3; y++)
                            for (int x = 0; x < 3; x++)
                                Assert.Equal((img[y, x, c] / 255f - mean[c]) / std[c], b.Images[n, c, y, x]);
                }
            }
    }

    [Fact]
    public void BreakingOutStopsTheThreadAndTheQueueStaysBounded()
    {
        var ds = new FakeDataset(400);
        using var loader = Loader(ds, seed: 2, batch: 4, prefetch: 2);
        foreach (var b in loader.Epoch(0))
        {
            using (b)
            {
                Thread.Sleep(300);
                // One batch handed out, two waiting, one being made: at most 4 batches of 4 decoded.
                Assert.InRange(ds.Calls, 4, 16);
                Assert.True(loader.IsRunning);
            }
            break;
        }
        Assert.False(loader.IsRunning);
        int calls = ds.Calls;
        Thread.Sleep(50);
        Assert.Equal(calls, ds.Calls);
        Assert.Equal(100, Take(loader, 1).Count);
    }

    [Fact]
    public void DisposingTheLoaderStopsItsThread()
    {
        var loader = Loader(new FakeDataset(400, delayMs: 1), seed: 2);
        using var e = loader.Epoch(0).GetEnumerator();
        Assert.True(e.MoveNext());
        e.Current.Dispose();
        Assert.True(loader.IsRunning);
        loader.Dispose();
        Assert.False(loader.IsRunning);
        Assert.Throws<ObjectDisposedException>(() => loader.Epoch(1));
    }

    [Fact]
    public void ADatasetErrorReachesTheConsumer()
    {
        using var loader = new DataLoader(new FakeDataset(12, failAt: 9), null, Normalize.Unit(1), new LoaderOptions { BatchSize = 4, Shuffle = false });
        int seen = 0;
        var ex = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var b in loader.Epoch(0))
                using (b) seen++;
        });
        Assert.Equal("sample 9 is broken", ex.Message);
        Assert.Equal(2, seen);
        Assert.False(loader.IsRunning);
    }

    [Fact]
    public void SamplesOfDifferentSizesAreAClearError()
    {
        using var loader = new DataLoader(new FakeDataset(8, oddSizeAt: 2), null, Normalize.Unit(1), new LoaderOptions { BatchSize = 4, Shuffle = false });
        var ex = Assert.Throws<InvalidDataException>(() => Take(loader, 0));
        Assert.Contains("Sample 2 is 7x7x1", ex.Message);
        Assert.Contains("resize or crop", ex.Message);
    }

    [Fact]
    public void OnlyOneEpochRunsAtATime()
    {
        using var loader = Loader(new FakeDataset(40), seed: 1);
        using var first = loader.Epoch(0).GetEnumerator();
        Assert.True(first.MoveNext());
        first.Current.Dispose();
        using var second = loader.Epoch(1).GetEnumerator();
        Assert.Throws<InvalidOperationException>(() => second.MoveNext());
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Loader(new FakeDataset(3), 0, batch: 0));
        Assert.Contains("no batch", Assert.Throws<ArgumentException>(() => Loader(new FakeDataset(3), 0, batch: 4, dropLast: true)).Message);
        Assert.Contains("5 classes", Assert.Throws<ArgumentException>(() => Loader(new FakeDataset(3), 0, mix: new Mixup(5))).Message);
    }

    [Fact]
    public void FashionMnistBatchesFromTheInstalledDataset()
    {
        var train = FashionMnist.Load(Split.Test);
        using var loader = new DataLoader(train, new Compose(new RandomCrop(28, padding: 4), new RandomHorizontalFlip()),
            new Normalize([FashionMnist.Mean], [FashionMnist.Std]), new LoaderOptions { BatchSize = 256, Seed = 1, DropLast = true });
        int batches = 0;
        foreach (var b in loader.Epoch(0))
            using (b)
            {
                Assert.Equal(new Shape(256, 1, 28, 28), b.Images.Shape);
                Assert.All(b.Labels, l => Assert.InRange(l, 0, 9));
                batches++;
            }
        Assert.Equal(10000 / 256, batches);
    }
}
