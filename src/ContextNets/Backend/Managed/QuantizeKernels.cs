using System.Runtime.Intrinsics;

namespace ContextNets.Backend.Managed;

/// <summary>
/// f32 to a lowered conv's input type over dense memory, element for element (the layout is the caller's): int8 as
/// q = saturate(round-half-even(x * scale)), bf16 as the upper half of x rounded half-even. These are what oneDNN's
/// reorder computes (its f32 multiply, its conversion in the default rounding mode, its saturation), in one pass on
/// Vector512; oneDNN's reorder primitive costs more per call than the pass itself on the small maps of batch-1
/// inference. NaN is not preserved: the callers convert finite activations.
/// </summary>
internal static unsafe class QuantizeKernels
{
    private const int L = 16;
    // Elements per parallel item: four vectors narrow into one of bytes.
    private const int Block = 4 * L;

    /// <summary>q[i] = saturate(round(x[i] * scale)) in u8 (0..255) when <paramref name="unsigned"/>, else s8 (-128..127).</summary>
    public static void ToInt8(float* x, byte* q, long count, float scale, bool unsigned)
    {
        float lo = unsigned ? 0 : sbyte.MinValue, hi = unsigned ? byte.MaxValue : sbyte.MaxValue;
        ForBlocks(count, (begin, end) =>
        {
            long i = begin;
            if (Vector512.IsHardwareAccelerated)
            {
                var (s, vlo, vhi) = (Vector512.Create(scale), Vector512.Create(lo), Vector512.Create(hi));
                for (; i + Block <= end; i += Block)
                {
                    var a = Vector512.Narrow(Level(x + i, s, vlo, vhi), Level(x + i + L, s, vlo, vhi));
                    var b = Vector512.Narrow(Level(x + i + 2 * L, s, vlo, vhi), Level(x + i + 3 * L, s, vlo, vhi));
                    // The levels fit the target type, so narrowing (which drops the upper bits) is exact.
                    Vector512.Narrow(a.AsUInt16(), b.AsUInt16()).Store(q + i);
                }
            }
            for (; i < end; i++) q[i] = (byte)(int)Math.Clamp(MathF.Round(x[i] * scale, MidpointRounding.ToEven), lo, hi);
        });
    }

    /// <summary>h[i] = the bf16 nearest to x[i], ties to even.</summary>
    public static void ToBf16(float* x, ushort* h, long count) => ForBlocks(count, (begin, end) =>
    {
        long i = begin;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 2 * L <= end; i += 2 * L)
                Vector512.Narrow(Bf16Bits(x + i), Bf16Bits(x + i + L)).Store(h + i);
        }
        for (; i < end; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(x[i]);
            h[i] = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
        }
    });

    private static Vector512<int> Level(float* x, Vector512<float> scale, Vector512<float> lo, Vector512<float> hi) =>
        Vector512.ConvertToInt32(Vector512.Clamp(Vector512.Round(Vector512.Load(x) * scale), lo, hi));

    private static Vector512<uint> Bf16Bits(float* x)
    {
        var bits = Vector512.Load((uint*)x);
        return (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
    }

    // Splits [0, count) into runs of whole blocks over the engine's threads.
    private static void ForBlocks(long count, Action<long, long> body)
    {
        int blocks = checked((int)((count + Block - 1) / Block));
        Par.For(blocks, Block, (b0, b1) => body((long)b0 * Block, Math.Min(count, (long)b1 * Block)));
    }
}
