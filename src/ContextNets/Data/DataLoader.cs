using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using ContextNets.Data.Clips;
using ContextNets.Data.Transforms;

namespace ContextNets.Data;

/// <summary>
/// Batches a dataset through a transform pipeline, decoding and augmenting
/// on one background thread that keeps up to <see cref="LoaderOptions.Prefetch"/>
/// batches ready. Everything random is drawn from generators derived from
/// (seed, epoch, ...): the epoch's order from (seed, epoch), a sample's
/// augmentation from (seed, epoch, dataset index), a batch's mix from
/// (seed, epoch, batch index). So the batches are the same, in the same order,
/// whatever the timing, and a run resumed at an epoch sees what it would have seen.
/// Ending the enumeration early (break, or disposing the loader) stops the thread
/// and frees the batches it had made and not handed out.
/// A loader of clips (<see cref="IClipSource"/>) batches them as [N, C, T, H, W] in <see cref="Engine.ClipFormat"/> the same way.
/// </summary>
public sealed class DataLoader : IDisposable
{
    private const long OrderStream = 0x4F52444552, SampleStream = 0x53414D504C45, MixStream = 0x4D4958;

    private readonly IDataset? _dataset;
    private readonly IClipSource? _clips;
    private readonly IImageTransform? _transform;
    private readonly Normalize? _normalize;
    private Producer? _active;
    private bool _disposed;

    public DataLoader(IDataset dataset, IImageTransform? transform, Normalize normalize, LoaderOptions? options = null)
        : this(options, dataset.Count, dataset.Classes.Count)
    {
        _dataset = dataset;
        _transform = transform;
        _normalize = normalize;
    }

    /// <summary>A loader of clips; mixup is for images only.</summary>
    public DataLoader(IClipSource clips, LoaderOptions? options = null) : this(options, clips.Count, clips.Classes.Count)
    {
        if (Options.Mix is not null) throw new ArgumentException("Mixup and CutMix mix images; a loader of clips does not mix.");
        _clips = clips;
    }

    private DataLoader(LoaderOptions? options, int count, int classes)
    {
        Options = options ?? new LoaderOptions();
        if (Options.BatchSize < 1 || Options.Prefetch < 1)
            throw new ArgumentException($"A loader needs BatchSize >= 1 and Prefetch >= 1, got {Options.BatchSize} and {Options.Prefetch}.");
        if (Options.ShardCount < 1 || (uint)Options.ShardIndex >= (uint)Options.ShardCount)
            throw new ArgumentException($"Shard {Options.ShardIndex} of {Options.ShardCount} does not exist.");
        if (Options.ShardCount > 1 && (Options.BatchSize % Options.ShardCount != 0 || !Options.DropLast))
            throw new ArgumentException($"A batch of {Options.BatchSize} is split into {Options.ShardCount} equal shards only when it divides evenly and short batches are dropped.");
        if (Options.Mix is { } mix && mix.NumClasses != classes)
            throw new ArgumentException($"Mixup is set up for {mix.NumClasses} classes, but the dataset has {classes}.");
        Count = count;
        if (BatchCount == 0)
            throw new ArgumentException($"The dataset's {count} samples make no batch of {Options.BatchSize} with DropLast.");
    }

    public LoaderOptions Options { get; }

    /// <summary>The images batched; a loader of clips has none (see <see cref="Clips"/>).</summary>
    public IDataset Dataset => _dataset ?? throw new InvalidOperationException("This loader batches clips, not images: its source is Clips.");

    /// <summary>The clips batched, or null for a loader of images.</summary>
    public IClipSource? Clips => _clips;

    /// <summary>The samples (images or clips) of an epoch.</summary>
    public int Count { get; }

    public int BatchCount => Options.DropLast ? Count / Options.BatchSize : (Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>True while a background thread is working for an epoch.</summary>
    public bool IsRunning => _active is { } p && p.Thread.IsAlive;

    /// <summary>The dataset indices of an epoch, in the order the batches take them.</summary>
    public int[] Order(int epoch)
    {
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (Options.Shuffle) Rng.For(Options.Seed, OrderStream, epoch).Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>
    /// A loader of the same pipeline over every <paramref name="count"/>-th sample from <paramref name="index"/> on: one
    /// rank's share of an evaluation that the ranks then add up.
    /// </summary>
    public DataLoader Share(int index, int count)
    {
        if (count < 1 || (uint)index >= (uint)count) throw new ArgumentException($"Share {index} of {count} does not exist.");
        var samples = Enumerable.Range(0, Count).Where(i => i % count == index).ToArray();
        return new DataLoader(new Subset(Dataset, samples), _transform, _normalize!, Options);
    }

    /// <summary>The batches of one epoch, made on a background thread. One epoch may be enumerated at a time.</summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Run(epoch);
    }

    private IEnumerable<Batch> Run(int epoch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_active is not null) throw new InvalidOperationException("The loader is already running an epoch; finish (or break out of) that enumeration first.");
        var producer = new Producer(this, epoch);
        _active = producer;
        try
        {
            foreach (var batch in producer.Queue.GetConsumingEnumerable()) yield return batch;
            producer.Failure?.Throw();
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
        finally
        {
            producer.Stop();
            _active = null;
        }
    }

    /// <summary>Makes batch <paramref name="index"/> of an epoch on the calling thread: exactly what the background thread hands out.</summary>
    public Batch MakeBatch(int epoch, int index, int[]? order = null, CancellationToken cancel = default)
    {
        if ((uint)index >= (uint)BatchCount) throw new ArgumentOutOfRangeException(nameof(index), $"Batch {index} is outside the epoch's {BatchCount}.");
        order ??= Order(epoch);
        int n = Math.Min(Options.BatchSize, order.Length - index * Options.BatchSize) / Options.ShardCount;
        int start = index * Options.BatchSize + Options.ShardIndex * n;
        var indices = order.AsSpan(start, n).ToArray();
        var labels = new int[n];
        if (_clips is not null) return MakeClipBatch(epoch, index, indices, labels, cancel);
        Tensor? images = null;
        try
        {
            for (int i = 0; i < n; i++)
            {
                cancel.ThrowIfCancellationRequested();
                int idx = indices[i];
                labels[i] = _dataset!.Label(idx);
                var image = _dataset.Image(idx);
                if (_transform is not null) image = _transform.Apply(image, Rng.For(Options.Seed, SampleStream, epoch, idx));
                images ??= Tensor.EmptyUnscoped(new Shape(n, image.Channels, image.Height, image.Width), Options.Format);
                Write(images, i, image, idx);
            }
            var mix = Options.Mix?.Apply(images!, labels, Rng.For(Options.Seed, MixStream, epoch, index));
            return new Batch(epoch, index, indices, labels, images!, mix?.Targets, mix?.Lambda ?? 1.0);
        }
        catch
        {
            images?.Dispose();
            throw;
        }
    }

    private unsafe void Write(Tensor images, int slot, Image8 image, int index)
    {
        var s = images.Shape;
        if (image.Channels != s[1] || image.Height != s[2] || image.Width != s[3])
            throw new InvalidDataException(
                $"Sample {index} is {image.Width}x{image.Height}x{image.Channels} after the transforms, but the batch's first sample is {s[3]}x{s[2]}x{s[1]}: " +
                "add a resize or crop to the pipeline so that every sample has one size.");
        var st = images.Strides;
        _normalize!.Write(image, images.Data + (long)slot * st[0], st[1], st[2], st[3]);
    }

    private unsafe Batch MakeClipBatch(int epoch, int index, int[] indices, int[] labels, CancellationToken cancel)
    {
        var c = _clips!;
        var clips = Tensor.EmptyUnscoped(new Shape(indices.Length, c.Channels, c.Frames, c.Height, c.Width), Engine.ClipFormat);
        try
        {
            var st = clips.Strides;
            for (int i = 0; i < indices.Length; i++)
            {
                cancel.ThrowIfCancellationRequested();
                labels[i] = c.Label(indices[i]);
                c.Write(indices[i], Rng.For(Options.Seed, SampleStream, epoch, indices[i]), clips.Data + (long)i * st[0], st[1], st[2], st[3], st[4]);
            }
            return new Batch(epoch, index, indices, labels, clips, null, 1.0);
        }
        catch
        {
            clips.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _active?.Stop();
    }

    /// <summary>The background thread of one epoch and its bounded queue.</summary>
    private sealed class Producer
    {
        private readonly CancellationTokenSource _cancel = new();
        private int _stopped;

        public Producer(DataLoader loader, int epoch)
        {
            Queue = new BlockingCollection<Batch>(loader.Options.Prefetch);
            Thread = new Thread(() => Produce(loader, epoch)) { IsBackground = true, Name = $"ctxnet loader (epoch {epoch})" };
            Thread.Start();
        }

        public BlockingCollection<Batch> Queue { get; }
        public Thread Thread { get; }
        public ExceptionDispatchInfo? Failure { get; private set; }

        private void Produce(DataLoader loader, int epoch)
        {
            try
            {
                var order = loader.Order(epoch);
                for (int b = 0; b < loader.BatchCount; b++)
                {
                    var batch = loader.MakeBatch(epoch, b, order, _cancel.Token);
                    try
                    {
                        Queue.Add(batch, _cancel.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        batch.Dispose();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Queue.CompleteAdding();
            }
        }

        /// <summary>Stops the thread, waits for it, and frees the batches nobody took.</summary>
        public void Stop()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
            _cancel.Cancel();
            Thread.Join();
            while (Queue.TryTake(out var left)) left.Dispose();
        }
    }
}
