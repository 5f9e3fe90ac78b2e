namespace ContextNets.Attention;

/// <summary>
/// The detached copy of a block's last attention, kept outside every scope so
/// that it outlives the forward's temporaries, in the memory order it had; each capture frees the one before.
/// </summary>
internal sealed class CapturedGate : IDisposable
{
    public Tensor? Value { get; private set; }

    public void Keep(Tensor attention)
    {
        var copy = Tensor.EmptyUnscoped(attention.Shape, attention.Format);
        F.CopyInto(attention, copy);
        Value?.Dispose();
        Value = copy;
    }

    public void Dispose()
    {
        Value?.Dispose();
        Value = null;
    }
}
