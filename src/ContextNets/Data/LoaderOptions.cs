namespace ContextNets.Data;

/// <summary>How a <see cref="DataLoader"/> batches, shuffles and prefetches.</summary>
public sealed record LoaderOptions
{
    public int BatchSize { get; init; } = 128;
    public bool Shuffle { get; init; } = true;

    /// <summary>Leave out the last, smaller batch of an epoch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Decides the order and every random choice: the same seed gives the same batches, whatever the timing.</summary>
    public long Seed { get; init; }

    /// <summary>How many finished batches may wait for the consumer.</summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>The memory order of the image tensors (default: the engine's activation layout, so the first conv needs no reorder).</summary>
    public MemoryFormat Format { get; init; } = Engine.ActivationFormat;

    /// <summary>
    /// Data-parallel training: this loader hands out shard <see cref="ShardIndex"/> of <see cref="ShardCount"/> equal,
    /// consecutive slices of every batch of <see cref="BatchSize"/> (the global batch); the order is the same on every
    /// shard, since it depends on the seed and the epoch only.
    /// </summary>
    public int ShardIndex { get; init; }

    public int ShardCount { get; init; } = 1;

    /// <summary>Batch-level mixup/cutmix; when set, every batch carries soft targets.</summary>
    public Mixup? Mix { get; init; }
}
