namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Weights reordered into the blocked layout a convolution wants, kept on
/// the weight tensor until its values change (its Version moves) or it is
/// disposed. Inference pays the reorder once; training once per update.
/// </summary>
internal sealed unsafe class WeightCache : IDisposable
{
    private nint _ptr;
    private int _capacity;
    private int _version;
    private MemoryDesc _md;

    public static nint Get(Tensor w, in MemoryDesc wanted, in MemoryDesc plain)
    {
        if (Md.Equal(plain, wanted)) return (nint)w.Data;
        lock (w) return GetLocked(w, wanted, plain);
    }

    private static nint GetLocked(Tensor w, in MemoryDesc wanted, in MemoryDesc plain)
    {
        if (w.Derived is WeightCache c && c._version == w.Version && Md.Equal(c._md, wanted)) return c._ptr;
        w.Derived?.Dispose();
        var cache = new WeightCache { _md = wanted, _version = w.Version };
        cache._ptr = (nint)BufferPool.Rent((int)((Md.Bytes(wanted) + 3) / 4), out cache._capacity);
        w.Derived = cache;
        PrimitiveCache.Reorder(plain, (nint)w.Data, wanted, cache._ptr);
        return cache._ptr;
    }

    public void Dispose()
    {
        if (_ptr == 0) return;
        BufferPool.Return((void*)_ptr, _capacity);
        _ptr = 0;
    }
}
