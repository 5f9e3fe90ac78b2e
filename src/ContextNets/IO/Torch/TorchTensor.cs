namespace ContextNets.IO.Torch;

/// <summary>
/// A tensor as _rebuild_tensor_v2 describes it: a view (offset, sizes, strides, all in elements) of a storage.
/// Saved views keep their storage whole, so a transposed or sliced tensor arrives non-contiguous or offset, and
/// several tensors may share one storage. The description is checked when the pickle is read; the values are
/// read from the storage's bytes only when asked for.
/// </summary>
internal sealed class TorchTensor
{
    public const int MaxRank = 8;

    /// <summary>
    /// Zero strides (an expand()ed view saved as it is) let a tensor hold more elements than its storage. Up to this
    /// many are allowed; beyond, a few bytes of file could ask for gigabytes of memory.
    /// </summary>
    public const long BroadcastAllowance = 1L << 24;

    private TorchTensor(TorchStorage storage, long offset, int[] sizes, long[] strides, long numel)
    {
        Storage = storage;
        Offset = offset;
        Sizes = sizes;
        Strides = strides;
        Numel = numel;
    }

    public TorchStorage Storage { get; }
    public long Offset { get; }
    public int[] Sizes { get; }
    public long[] Strides { get; }
    public long Numel { get; }
    public Shape Shape => new(Sizes);

    /// <summary>Checks the view against its storage; <paramref name="where"/> prefixes the messages.</summary>
    public static TorchTensor Create(TorchStorage storage, long offset, IReadOnlyList<long> sizes, IReadOnlyList<long> strides, string where)
    {
        string shape = $"[{string.Join(", ", sizes)}]";
        if (sizes.Count != strides.Count) throw TorchFormat.Error($"{where}: a tensor of shape {shape} has {strides.Count} strides.");
        if (sizes.Count > MaxRank) throw TorchFormat.Error($"{where}: a tensor of rank {sizes.Count} (at most {MaxRank} are read).");
        if (offset < 0) throw TorchFormat.Error($"{where}: a tensor has the negative storage offset {offset}.");
        long numel = 1;
        foreach (long s in sizes)
            if (s < 0 || s > int.MaxValue) throw TorchFormat.Error($"{where}: a tensor of shape {shape} has a dimension out of range.");
        if (!sizes.Contains(0))
            foreach (long s in sizes)
            {
                if (numel > Array.MaxLength / s) throw TorchFormat.Error($"{where}: a tensor of shape {shape} has more elements than one tensor can hold.");
                numel *= s;
            }
        else numel = 0;
        foreach (long st in strides)
            if (st < 0) throw TorchFormat.Error($"{where}: a tensor of shape {shape} has the negative stride {st}.");

        if (numel == 0)
        {
            if (offset > storage.Numel) throw TorchFormat.Error($"{where}: an empty tensor's offset {offset} lies past its storage of {storage.Numel} elements.");
        }
        else
        {
            // Int128: sizes below 2^31 times strides below 2^63, eight times over, cannot overflow it.
            Int128 last = offset;
            for (int i = 0; i < sizes.Count; i++) last += (Int128)(sizes[i] - 1) * strides[i];
            if (last >= storage.Numel)
                throw TorchFormat.Error($"{where}: a tensor of shape {shape}, strides [{string.Join(", ", strides)}] and offset {offset} reaches element {last} of storage '{storage.Key}', which has {storage.Numel}.");
            if (numel > storage.Numel && numel > BroadcastAllowance)
                throw TorchFormat.Error($"{where}: a tensor of shape {shape} repeats its storage of {storage.Numel} elements to {numel} (more than {BroadcastAllowance} elements from a broadcast view); save it with .contiguous().");
        }
        return new TorchTensor(storage, offset, [.. sizes.Select(s => (int)s)], [.. strides], numel);
    }

    /// <summary>The values as a new float32 tensor (row-major), read from the bytes of the whole storage.</summary>
    public Tensor Materialize(ReadOnlySpan<byte> storageBytes)
    {
        var t = Tensor.Empty(Shape);
        try
        {
            StorageGather.Gather(storageBytes, Storage.DType, Offset, Sizes, Strides, t.Span);
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }
}
