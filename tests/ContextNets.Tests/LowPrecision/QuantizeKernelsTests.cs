using ContextNets.Backend.Dnnl;
using ContextNets.Backend.Managed;

namespace ContextNets.Tests.LowPrecision;

/// <summary>
/// The managed f32 -> u8/s8/bf16 pass a lowered conv's input takes must give, bit for bit, what oneDNN's reorder gives
/// (the reference it replaces) and what a plain scalar loop gives: ties, saturation, negative values into u8, a tail
/// shorter than a vector, and a map large enough to run on both threads.
/// </summary>
public unsafe class QuantizeKernelsTests
{
    [Theory]
    [InlineData(Dt.U8, 3, 7, 5)]
    [InlineData(Dt.S8, 3, 7, 5)]
    [InlineData(Dt.Bf16, 3, 7, 5)]
    [InlineData(Dt.U8, 64, 56, 56)]
    [InlineData(Dt.S8, 64, 56, 56)]
    [InlineData(Dt.Bf16, 64, 56, 56)]
    public void ManagedConversionIsOneDnnsReorderAndThePlainLoop(int type, int c, int h, int w)
    {
        using var scope = Tensor.Scope();
        var x = F.ToFormat(Values(new Shape(1, c, h, w)), Engine.ActivationFormat);
        // 1/0.5: products land on exact halves (ties), on both sides of zero, and past 255 (saturation).
        float scale = type == Dt.Bf16 ? 1f : 2f;
        var md = Md.Strided(x.Shape.Dims, Tensor.StridesFor(x.Shape, Engine.ActivationFormat), type);
        int size = type == Dt.Bf16 ? 2 : 1;
        var managed = new byte[x.Numel * size];
        var onednn = new byte[x.Numel * size];
        fixed (byte* m = managed, o = onednn)
        {
            DnnlLowPrecisionConv.Convert(x, md, type, (nint)m, scale);
            DnnlLowPrecisionConv.Reorder(x, md, (nint)o, scale);
        }
        Assert.Equal(onednn, managed);
        var plain = Plain(new ReadOnlySpan<float>(x.Data, x.Numel), type, scale);
        Assert.Equal(plain, managed);
    }

    [Fact]
    public void AViewThatIsNotDenseTakesTheReorder()
    {
        using var scope = Tensor.Scope();
        var x = F.ToFormat(Values(new Shape(1, 8, 6, 6)), Engine.ActivationFormat);
        // Every other channel: the managed pass would read the wrong elements; Convert must see it and reorder.
        using var view = x.View(new Shape(1, 4, 6, 6), [x.Strides[0], 2 * x.Strides[1], x.Strides[2], x.Strides[3]], 0);
        var md = Md.Strided(view.Shape.Dims, Tensor.StridesFor(view.Shape, Engine.ActivationFormat), Dt.S8);
        var got = new byte[view.Numel];
        var want = new byte[view.Numel];
        fixed (byte* g = got, r = want)
        {
            DnnlLowPrecisionConv.Convert(view, md, Dt.S8, (nint)g, 2f);
            DnnlLowPrecisionConv.Reorder(view, md, (nint)r, 2f);
        }
        Assert.Equal(want, got);
    }

    [Theory]
    [InlineData(MemoryFormat.Contiguous)]
    [InlineData(MemoryFormat.ChannelsLast)]
    public void Bf16StagingOfATrainingOperandIsOneDnnsReorder(MemoryFormat format)
    {
        using var scope = Tensor.Scope();
        var x = F.ToFormat(Tensor.Randn([2, 24, 9, 7], 3), format);
        var md = Md.Strided(x.Shape.Dims, x.Strides, Dt.Bf16);
        var want = new ushort[x.Numel];
        using var staging = new Staging();
        nint got = staging.Input(x, md);
        fixed (ushort* r = want) PrimitiveCache.Reorder(Md.Of(x), (nint)x.Data, md, (nint)r);
        Assert.Equal(want, new ReadOnlySpan<ushort>((void*)got, x.Numel).ToArray());
    }

    // Multiples of 1/4 from -200 to 200, shuffled: with the scale 2, every other one is an exact tie.
    private static Tensor Values(Shape shape)
    {
        var rng = new Random(5);
        var v = new float[shape.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = rng.Next(-800, 801) / 4f + (i % 5 == 0 ? rng.NextSingle() * 1e-3f : 0);
        return Tensor.FromArray(v, shape);
    }

    private static byte[] Plain(ReadOnlySpan<float> x, int type, float scale)
    {
        var r = new List<byte>();
        foreach (float v in x)
        {
            if (type == Dt.Bf16)
            {
                // The upper 16 bits, rounded half to even on the lower 16.
                uint bits = BitConverter.SingleToUInt32Bits(v), lower = bits & 0xFFFF, upper = bits >> 16;
                if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) upper++;
                r.AddRange(BitConverter.GetBytes((ushort)upper));
                continue;
            }
            double q = Math.Round((double)(v * scale), MidpointRounding.ToEven);
            r.Add(type == Dt.U8 ? (byte)Math.Clamp(q, 0, 255) : (byte)(sbyte)Math.Clamp(q, -128, 127));
        }
        return [.. r];
    }
}
