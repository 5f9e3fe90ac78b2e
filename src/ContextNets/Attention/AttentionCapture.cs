namespace ContextNets.Attention;

/// <summary>
/// Keeps a detached copy of the attention a block computed anyway, outside
/// every scope, so that it outlives the forward pass that made it. The
/// previous copy is freed when a new one arrives, and the last with Dispose.
/// </summary>
internal sealed class AttentionCapture : IDisposable
{
    public bool Enabled { get; set; }

    public Tensor? Last { get; private set; }

    /// <summary>Copies <paramref name="attention"/> (viewed as <paramref name="shape"/>) when capturing is on.</summary>
    public void Keep(Tensor attention, Shape shape)
    {
        if (!Enabled) return;
        if (attention.Numel != shape.Numel)
            throw new ArgumentException($"Attention of shape {attention.Shape} cannot be kept as {shape}.");
        var copy = Tensor.EmptyUnscoped(shape);
        using (var flat = F.Materialize(attention, MemoryFormat.Contiguous))
            flat.Span.CopyTo(copy.Span);
        Last?.Dispose();
        Last = copy;
    }

    public void Dispose()
    {
        Last?.Dispose();
        Last = null;
    }
}
