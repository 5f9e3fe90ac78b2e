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

    /// <summary>Batch-level mixup/cutmix; when set, every batch carries soft targets.</summary>
    public Mixup? Mix { get; init; }
}
