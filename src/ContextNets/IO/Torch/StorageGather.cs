using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ContextNets.IO.Torch;

/// <summary>
/// Copies a strided view of a little-endian storage into a row-major float32 buffer, converting F32, F16, BF16,
/// F64 and I64 elements. The view must already have been checked against the storage (<see cref="TorchTensor.Create"/>).
/// </summary>
internal static class StorageGather
{
    public static void Gather(ReadOnlySpan<byte> storage, string dtype, long offset, int[] sizes, long[] strides, Span<float> dest)
    {
        if (dest.IsEmpty) return;
        int rank = sizes.Length;
        if (rank == 0)
        {
            Row(storage, dtype, offset, 1, dest);
            return;
        }
        int inner = sizes[rank - 1];
        long innerStride = strides[rank - 1];
        var index = new int[rank - 1];
        long start = offset;
        for (int at = 0; at < dest.Length; at += inner)
        {
            Row(storage, dtype, start, innerStride, dest.Slice(at, inner));
            for (int d = rank - 2; d >= 0; d--)
            {
                start += strides[d];
                if (++index[d] < sizes[d]) break;
                start -= strides[d] * sizes[d];
                index[d] = 0;
            }
        }
    }

    // dest.Length elements starting at element `start`, `stride` elements apart.
    private static void Row(ReadOnlySpan<byte> storage, string dtype, long start, long stride, Span<float> dest)
    {
        int size = DTypes.Size(dtype, "storage");
        if (stride == 1 && BitConverter.IsLittleEndian)
        {
            var bytes = storage.Slice(checked((int)(start * size)), dest.Length * size);
            switch (dtype)
            {
                case "F32": MemoryMarshal.Cast<byte, float>(bytes).CopyTo(dest); return;
                case "F16": TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), dest); return;
            }
        }
        for (int i = 0; i < dest.Length; i++)
        {
            var b = storage.Slice(checked((int)((start + i * stride) * size)), size);
            dest[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(b),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(b),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(b),
                _ => BinaryPrimitives.ReadInt64LittleEndian(b),
            };
        }
    }
}
