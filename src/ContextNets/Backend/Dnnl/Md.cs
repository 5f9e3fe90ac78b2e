namespace ContextNets.Backend.Dnnl;

/// <summary>Builds oneDNN memory descriptors for our tensors.</summary>
internal static unsafe class Md
{
    public const int MaxDims = 12;

    /// <summary>The tensor as it lies: logical dims and its own strides.</summary>
    public static MemoryDesc Of(Tensor t) => Strided(t.Shape.Dims, t.Strides);

    public static MemoryDesc Strided(ReadOnlySpan<int> dims, ReadOnlySpan<int> strides) => Strided(dims, strides, Dt.F32);

    /// <summary>The same, for values of another data type (bf16 or int8 copies of an activation).</summary>
    public static MemoryDesc Strided(ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, int dataType)
    {
        long* d = stackalloc long[MaxDims];
        long* s = stackalloc long[MaxDims];
        for (int i = 0; i < dims.Length; i++) { d[i] = dims[i]; s[i] = strides[i]; }
        MemoryDesc md;
        int status = DnnlNative.dnnl_memory_desc_init_by_strides(&md, dims.Length, d, dataType, s);
        if (status != 0) throw new DnnlException(status, $"describing a tensor of shape {Shape.Format(dims)}");
        return md;
    }

    public static MemoryDesc Tagged(ReadOnlySpan<int> dims, int tag) => Tagged(dims, tag, Dt.F32);

    public static MemoryDesc Tagged(ReadOnlySpan<int> dims, int tag, int dataType)
    {
        long* d = stackalloc long[MaxDims];
        for (int i = 0; i < dims.Length; i++) d[i] = dims[i];
        MemoryDesc md;
        int status = DnnlNative.dnnl_memory_desc_init_by_tag(&md, dims.Length, d, dataType, tag);
        if (status != 0) throw new DnnlException(status, $"describing a tensor of shape {Shape.Format(dims)}");
        return md;
    }

    /// <summary>Row-major, for dims that have no tensor yet (statistics, scale and shift).</summary>
    public static MemoryDesc Plain(params ReadOnlySpan<int> dims) => Tagged(dims, dims.Length switch
    {
        1 => Tag.A,
        2 => Tag.Ab,
        3 => Tag.Abc,
        4 => Tag.Abcd,
        5 => Tag.Abcde,
        _ => throw new ArgumentException($"No plain tag for rank {dims.Length}."),
    });

    public static MemoryDesc Any(params ReadOnlySpan<int> dims) => Tagged(dims, Tag.Any);

    public static bool Equal(in MemoryDesc a, in MemoryDesc b)
    {
        fixed (MemoryDesc* pa = &a)
        fixed (MemoryDesc* pb = &b)
            return DnnlNative.dnnl_memory_desc_equal(pa, pb) != 0;
    }

    public static long Bytes(in MemoryDesc md)
    {
        fixed (MemoryDesc* p = &md) return (long)DnnlNative.dnnl_memory_desc_get_size(p);
    }

    /// <summary>The descriptor's bytes as key material for caches.</summary>
    public static void AddTo(ref PrimitiveKey.Builder key, in MemoryDesc md)
    {
        fixed (MemoryDesc* p = &md)
        {
            var words = new ReadOnlySpan<long>(p, DnnlSizes.MemoryDesc / sizeof(long));
            foreach (long w in words) key.Add(w);
        }
    }
}
