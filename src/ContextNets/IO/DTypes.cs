using System.Buffers.Binary;

namespace ContextNets.IO;

/// <summary>The element types that checkpoints arrive in, all converted to float32 on load.</summary>
internal static class DTypes
{
    public static int Size(string dtype, string key) => dtype switch
    {
        "F32" or "I32" => 4,
        "F16" or "BF16" => 2,
        "F64" or "I64" => 8,
        _ => throw new InvalidDataException($"Tensor '{key}' has dtype {dtype}; ContextNets reads F32, F16, BF16, F64, I64 and I32."),
    };

    public static float[] ToFloat(string dtype, ReadOnlySpan<byte> bytes, string key)
    {
        int size = Size(dtype, key);
        var result = new float[bytes.Length / size];
        for (int i = 0; i < result.Length; i++)
        {
            var b = bytes.Slice(i * size, size);
            result[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(b),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(b),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(b),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(b),
                _ => BinaryPrimitives.ReadInt32LittleEndian(b),
            };
        }
        return result;
    }
}
