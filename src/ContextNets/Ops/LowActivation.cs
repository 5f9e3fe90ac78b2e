using ContextNets.Backend.Dnnl;

namespace ContextNets;

/// <summary>
/// A lowered conv's output kept in the next lowered conv's input format: bf16, or u8/s8 already divided by that
/// conv's input scale, dense in the activation layout. Two convs in a row then pass 1 or 2 bytes per value instead
/// of 4, and the second skips the conversion of its input. It owns its buffer; the conv that reads it does not free it.
/// </summary>
internal sealed unsafe class LowActivation : IDisposable
{
    private nint _data;
    private readonly int _capacity;

    public LowActivation(Shape shape, int dataType)
    {
        if (dataType is not (Dt.Bf16 or Dt.U8 or Dt.S8)) throw new ArgumentException($"A low-precision activation is bf16, u8 or s8, not oneDNN type {dataType}.");
        (Shape, DataType) = (shape, dataType);
        Desc = Md.Strided(shape.Dims, Tensor.StridesFor(shape, Engine.ActivationFormat), dataType);
        _data = (nint)BufferPool.Rent((int)((Md.Bytes(Desc) + 3) / 4), out _capacity);
    }

    public Shape Shape { get; }

    /// <summary>The oneDNN data type of the values (<see cref="Dt.Bf16"/>, <see cref="Dt.U8"/> or <see cref="Dt.S8"/>).</summary>
    public int DataType { get; }

    /// <summary>The values' oneDNN memory descriptor: <see cref="Shape"/> in the activation layout, in <see cref="DataType"/>.</summary>
    public MemoryDesc Desc { get; }

    public nint Data => _data != 0 ? _data : throw new ObjectDisposedException(nameof(LowActivation));

    public void Dispose()
    {
        if (_data == 0) return;
        BufferPool.Return((void*)_data, _capacity);
        _data = 0;
    }
}
