namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Weights reordered into the blocked layouts convolutions want, kept on the
/// weight tensor until its values change (its Version moves) or it is
/// disposed. Training asks for up to three layouts of one weight (forward,
/// backward-data, and the inference forward of evaluation), so a few are kept
/// side by side rather than one evicting the other on every pass.
/// Inference pays each reorder once; training once per update.
/// </summary>
internal sealed unsafe class WeightCache : IDisposable
{
    private const int Slots = 3;
    private readonly List<Entry> _entries = [];

    private sealed class Entry
    {
        public MemoryDesc Md;
        public int Version;
        public nint Ptr;
        public int Capacity;
    }

    public static nint Get(Tensor w, in MemoryDesc wanted, in MemoryDesc plain)
    {
        if (Md.Equal(plain, wanted)) return (nint)w.Data;
        lock (w)
        {
            if (w.Derived is not WeightCache cache)
            {
                w.Derived?.Dispose();
                w.Derived = cache = new WeightCache();
            }
            return cache.Lookup(w, wanted, plain);
        }
    }

    private nint Lookup(Tensor w, in MemoryDesc wanted, in MemoryDesc plain)
    {
        Entry? entry = null;
        foreach (var e in _entries)
            if (Md.Equal(e.Md, wanted)) { entry = e; break; }
        if (entry is null)
        {
            if (_entries.Count == Slots) Free(_entries[0]);
            entry = new Entry { Md = wanted, Version = -1 };
            entry.Ptr = (nint)BufferPool.Rent((int)((Md.Bytes(wanted) + 3) / 4), out entry.Capacity);
            _entries.Add(entry);
        }
        if (entry.Version != w.Version)
        {
            PrimitiveCache.Reorder(plain, (nint)w.Data, wanted, entry.Ptr);
            entry.Version = w.Version;
        }
        return entry.Ptr;
    }

    private void Free(Entry e)
    {
        BufferPool.Return((void*)e.Ptr, e.Capacity);
        _entries.Remove(e);
    }

    public void Dispose()
    {
        while (_entries.Count > 0) Free(_entries[0]);
    }
}
