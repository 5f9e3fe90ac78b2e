namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Temporary copies of tensors in the layout a primitive asked for, returned
/// to the pool when the call ends. When the tensor already lies as asked, no
/// copy is made.
/// </summary>
internal sealed unsafe class Staging : IDisposable
{
    private readonly List<(nint ptr, int capacity)> _buffers = [];

    /// <summary>
    /// A pointer to the tensor's values laid out as <paramref name="wanted"/>. bf16 of a dense tensor's own layout
    /// (what bf16 convolutions ask of their f32 operands) takes one managed pass, which rounds as oneDNN's reorder does.
    /// </summary>
    public nint Input(Tensor t, in MemoryDesc wanted)
    {
        var have = Md.Of(t);
        if (Md.Equal(have, wanted)) return (nint)t.Data;
        nint tmp = Buffer(wanted);
        if ((t.IsContiguous || t.IsIn(MemoryFormat.ChannelsLast)) && Md.Equal(wanted, Md.Strided(t.Shape.Dims, t.Strides, Dt.Bf16)))
            Managed.QuantizeKernels.ToBf16(t.Data, (ushort*)tmp, t.Numel);
        else
            PrimitiveCache.Reorder(have, (nint)t.Data, wanted, tmp);
        return tmp;
    }

    /// <summary>Scratch memory for a descriptor's layout.</summary>
    public nint Buffer(in MemoryDesc md)
    {
        int floats = (int)((Md.Bytes(md) + 3) / 4);
        nint p = (nint)BufferPool.Rent(floats, out int capacity);
        _buffers.Add((p, capacity));
        return p;
    }

    /// <summary>Where a primitive should write a result for <paramref name="target"/>: the tensor itself, or a buffer to reorder from after the call.</summary>
    public nint Output(Tensor target, in MemoryDesc produced, out bool needsCopy)
    {
        needsCopy = !Md.Equal(Md.Of(target), produced);
        return needsCopy ? Buffer(produced) : (nint)target.Data;
    }

    public static void CopyOut(in MemoryDesc produced, nint from, Tensor target) =>
        PrimitiveCache.Reorder(produced, from, Md.Of(target), (nint)target.Data);

    public void Dispose()
    {
        foreach (var (p, c) in _buffers) BufferPool.Return((void*)p, c);
        _buffers.Clear();
    }
}
