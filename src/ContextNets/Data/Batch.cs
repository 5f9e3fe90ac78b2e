namespace ContextNets.Data;

/// <summary>
/// One batch from a <see cref="DataLoader"/>: images [N, C, H, W] in float32,
/// their class labels, and soft targets [N, K] when the batch was mixed. The
/// tensors belong to no scope: the consumer owns them and frees them with
/// Dispose (or takes them and disposes them itself).
/// </summary>
public sealed class Batch : IDisposable
{
    internal Batch(int epoch, int index, int[] indices, int[] labels, Tensor images, Tensor? targets, double lambda)
    {
        Epoch = epoch;
        Index = index;
        Indices = indices;
        Labels = labels;
        Images = images;
        Targets = targets;
        Lambda = lambda;
    }

    public int Epoch { get; }

    /// <summary>The batch's position in its epoch.</summary>
    public int Index { get; }

    /// <summary>The dataset indices of the samples, in batch order.</summary>
    public int[] Indices { get; }

    public int[] Labels { get; }
    public Tensor Images { get; }

    /// <summary>Soft targets [N, K] from mixup/cutmix (with label smoothing), or null when the loader does not mix.</summary>
    public Tensor? Targets { get; }

    /// <summary>The mixing weight of each sample's own label (1 when not mixed).</summary>
    public double Lambda { get; }

    public int Count => Labels.Length;

    public void Dispose()
    {
        Images.Dispose();
        Targets?.Dispose();
    }
}
