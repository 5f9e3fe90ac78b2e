using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// The values of an ONNX TensorProto (an initializer or a Constant's value): float32 for weights, int64/int32 for
/// shapes and indices. The data may sit in raw_data (little-endian) or in the typed repeated field; either way its
/// size must be exactly what the dims promise, so a truncated or padded tensor is refused, never read short or long.
/// </summary>
internal sealed class OnnxTensorData
{
    private OnnxTensorData(string name, int[] dims, float[]? floats, long[]? ints)
    {
        Name = name;
        Dims = dims;
        Floats = floats;
        Ints = ints;
    }

    public string Name { get; }
    public int[] Dims { get; }
    /// <summary>The values when the tensor is float32, else null.</summary>
    public float[]? Floats { get; }
    /// <summary>The values when the tensor is int64 or int32, else null.</summary>
    public long[]? Ints { get; }

    public static OnnxTensorData Read(TensorProto t, string what)
    {
        var dims = ReadDims(t, what);
        int count = 1;
        foreach (int d in dims) count = checked(count * d);
        switch ((TensorProto.Types.DataType)t.DataType)
        {
            case TensorProto.Types.DataType.Float:
                return new(t.Name, dims, ReadFloats(t, count, what), null);
            case TensorProto.Types.DataType.Int64:
                return new(t.Name, dims, null, ReadInt64s(t, count, what));
            case TensorProto.Types.DataType.Int32:
                return new(t.Name, dims, null, ReadInt32s(t, count, what));
            default:
                throw new InvalidDataException($"{what} has ONNX data type {t.DataType}; only float32, int64 and int32 tensors are read.");
        }
    }

    private static int[] ReadDims(TensorProto t, string what)
    {
        var dims = new int[t.Dims.Count];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            long d = t.Dims[i];
            count *= Math.Max(d, 1);
            if (d < 0 || count > int.MaxValue)
                throw new InvalidDataException($"{what} has dims [{string.Join(", ", t.Dims)}]: negative, or too many elements.");
            dims[i] = (int)d;
        }
        return dims;
    }

    // raw_data is little-endian float32, the machine's own order here: one copy, not a call per value.
    private static float[] ReadFloats(TensorProto t, int count, string what) =>
        t.RawData.Length > 0 && BitConverter.IsLittleEndian
            ? MemoryMarshal.Cast<byte, float>(Raw(t, count, 4, what)).ToArray()
            : Decode(t, count, 4, BinaryPrimitives.ReadSingleLittleEndian, t.FloatData, what);

    private static long[] ReadInt64s(TensorProto t, int count, string what) =>
        Decode(t, count, 8, BinaryPrimitives.ReadInt64LittleEndian, t.Int64Data, what);

    private static long[] ReadInt32s(TensorProto t, int count, string what) =>
        Decode(t, count, 4, b => (long)BinaryPrimitives.ReadInt32LittleEndian(b), t.Int32Data.Select(x => (long)x).ToList(), what);

    // Values from raw_data (little-endian, `size` bytes each) when it is there, else from the typed repeated field.
    private static T[] Decode<T>(TensorProto t, int count, int size, Func<ReadOnlySpan<byte>, T> read, IReadOnlyCollection<T> typed, string what)
    {
        if (t.RawData.Length == 0)
        {
            Need(typed.Count, count, what);
            return [.. typed];
        }
        var raw = Raw(t, count, size, what);
        var v = new T[count];
        for (int i = 0; i < count; i++) v[i] = read(raw.Slice(size * i));
        return v;
    }

    private static ReadOnlySpan<byte> Raw(TensorProto t, int count, int size, string what)
    {
        if (t.RawData.Length != (long)count * size)
            throw new InvalidDataException($"{what} has {t.RawData.Length} bytes of raw data; its dims [{string.Join(", ", t.Dims)}] need {(long)count * size}.");
        return t.RawData.Span;
    }

    private static void Need(int have, int count, string what)
    {
        if (have != count)
            throw new InvalidDataException($"{what} holds {have} values; its dims need {count}.");
    }
}
