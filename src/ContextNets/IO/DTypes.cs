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
        // One loop per type: the type is looked at once, not once per element.
        switch (dtype)
        {
            case "F32":
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                break;
            case "F16":
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                break;
            case "BF16":
                for (int i = 0; i < result.Length; i++) result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16);
                break;
            case "F64":
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
                break;
            case "I64":
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
                break;
            default: // I32: Size refused every other type.
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);
                break;
        }
        return result;
    }
}
