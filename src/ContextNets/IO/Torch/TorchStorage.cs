namespace ContextNets.IO.Torch;

/// <summary>
/// A storage a pickle refers to by persistent id: its key (the data/ member holding it), element type (a
/// <see cref="DTypes"/> name), element count, and the device it was saved from (kept for messages only).
/// </summary>
internal sealed record TorchStorage(string Key, string DType, long Numel, string Location)
{
    public int ItemSize => DTypes.Size(DType, Key);
}
