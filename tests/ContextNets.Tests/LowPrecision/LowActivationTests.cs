using ContextNets.Autograd;
using ContextNets.Models.Inference;
using ContextNets.NN;

namespace ContextNets.Tests.LowPrecision;

/// <summary>
/// A lowered conv that writes its output in the next lowered conv's input format (u8/s8 with that conv's scale, or
/// bf16) must hand over the values the next conv would have made of its f32 output: the same rounding of the same
/// sums, up to the f32 rounding of the folded output scale.
/// </summary>
public unsafe class LowActivationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Int8HandoverIsTheNextConvsQuantizationOfTheF32Output(bool relu)
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var (a, b, x) = Pair(relu);
        using (a)
        using (b)
        {
            a.Lower(Precision.Int8, new ActivationQuantization(x.ToArray().Max(Math.Abs) / 127, Unsigned: false));
            var y = a.Run(x);
            float top = y.ToArray().Max(Math.Abs);
            // Scaled so that the largest outputs saturate: the handover must clamp as the conversion does.
            var next = new ActivationQuantization(0.8f * top / (relu ? 255 : 127), Unsigned: relu);
            b.Lower(Precision.Int8, next);
            Assert.True(a.CanFeed(b));
            using var low = a.RunFor(x, b);
            Assert.Equal(relu ? ContextNets.Backend.Dnnl.Dt.U8 : ContextNets.Backend.Dnnl.Dt.S8, low.DataType);
            // Both are dense in the activation layout, so memory order matches element for element.
            float* f = y.Data;
            int mismatches = 0;
            for (int i = 0; i < y.Numel; i++)
            {
                double v = f[i] / (double)next.Scale;
                double expected = Math.Clamp(Math.Round(v, MidpointRounding.ToEven), relu ? 0 : -128, relu ? 255 : 127);
                int got = relu ? ((byte*)low.Data)[i] : ((sbyte*)low.Data)[i];
                if (got == expected) continue;
                // The kernel multiplies the sum by s_x s_w / s_next where the reference divides s_x s_w sum by s_next:
                // two f32 roundings (2^-23 of |v| <= 256) can only move a value that lies that close to a half-step.
                Assert.True(Math.Abs(got - expected) == 1 && Math.Abs(Math.Abs(v - Math.Floor(v)) - 0.5) <= 256 * Math.Pow(2, -22),
                    $"at {i}: handed over {got}, the conversion of {f[i]} gives {expected}");
                mismatches++;
            }
            output.WriteLine($"{mismatches} of {y.Numel} handed-over values are a step from the conversion's");
            Assert.True(mismatches <= y.Numel / 1000, $"{mismatches} of {y.Numel} values differ by a step");
        }
    }

    [Fact]
    public void Bf16HandoverIsTheRoundingOfTheF32Output()
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var (a, b, x) = Pair(relu: true);
        using (a)
        using (b)
        {
            a.Lower(Precision.Bf16);
            b.Lower(Precision.Bf16);
            var y = a.Run(x);
            using var low = a.RunFor(x, b);
            Assert.Equal(ContextNets.Backend.Dnnl.Dt.Bf16, low.DataType);
            float* f = y.Data;
            ushort* h = (ushort*)low.Data;
            for (int i = 0; i < y.Numel; i++)
            {
                // Round to nearest even on the upper 16 bits of the same f32 sum.
                uint bits = BitConverter.SingleToUInt32Bits(f[i]);
                ushort expected = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
                Assert.True(expected == h[i], $"at {i}: bf16 {h[i]:x4}, the rounding of {f[i]} is {expected:x4}");
            }
            // The next conv reads the handed-over values as it would its own rounding of y.
            Assert.Equal(b.Run(y).ToArray(), b.Run(low).ToArray());
        }
    }

    [Fact]
    public void AHandedOverValueOfAnotherTypeIsRefusedInWords()
    {
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var (a, b, x) = Pair(relu: true);
        using (a)
        using (b)
        {
            a.Lower(Precision.Bf16);
            b.Lower(Precision.Bf16);
            using var low = a.RunFor(x, b);
            // The same conv lowered to int8 reads u8, not the bf16 values handed over for its bf16 kernel.
            b.Lower(Precision.Int8, new ActivationQuantization(0.1f, Unsigned: true));
            var e = Assert.Throws<ArgumentException>(() => b.Run(low));
            Assert.Contains("another type or layout", e.Message);
            // An f32 conv cannot read a handed-over value at all.
            b.Lower(Precision.Fp32);
            Assert.Throws<InvalidOperationException>(() => b.Run(low));
        }
    }

    [Fact]
    public void AWatchedConvIsNotFedAndAnF32ConvNeverFeeds()
    {
        using var scope = Tensor.Scope();
        var (a, b, _) = Pair(relu: true);
        using (a)
        using (b)
        {
            Assert.False(a.CanFeed(b));
            a.Lower(Precision.Bf16);
            Assert.False(a.CanFeed(b));
            b.Lower(Precision.Int8, new ActivationQuantization(0.1f, Unsigned: true));
            Assert.False(a.CanFeed(b));
            b.Lower(Precision.Bf16);
            Assert.True(a.CanFeed(b));
            // Calibration watches a conv's f32 input: it must see one.
            b.Observer = (_, _) => { };
            Assert.False(a.CanFeed(b));
        }
    }

    [Theory]
    [InlineData("gc_resnet20", 28, 9, Precision.Bf16)]
    [InlineData("gc_resnet20", 28, 9, Precision.Int8)]
    [InlineData("resnest14d", 64, 6, Precision.Bf16)]
    [InlineData("resnest14d", 64, 6, Precision.Int8)]
    public void APreparedModelHandsOverAndGivesTheLogitsOfOneWithout(string name, int size, int feeders, Precision precision)
    {
        // Drawn weights and BN statistics: every block contributes and every folded conv's scales differ.
        using var model = ContextNets.Tests.Models.InferenceModelTests.RandomModel(name, numClasses: 10);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        int channels = model.Config.InChannels;
        var calibration = Tensor.Randn([8, channels, size, size], 5);
        using var f32 = model.Prepare();
        using var low = model.Prepare(new InferenceOptions { Precision = precision, Calibration = precision == Precision.Int8 ? calibration : null, MinSqnrDb = 0 });
        var x = Tensor.Randn([2, channels, size, size], 6);
        var handed = low.Predict(x).ToArray();
        // Every block's first conv feeds the next conv (gc_resnet20: the block's last, fused with the sum;
        // resnest14d: split attention's grouped conv), in its input type, and so do the deep stem's first two convs.
        int expected = precision == Precision.Bf16 ? ContextNets.Backend.Dnnl.Dt.Bf16 : ContextNets.Backend.Dnnl.Dt.U8;
        var feeding = low.Convs.Where(c => c.Lowered!.OutputTypes.Contains(expected)).ToList();
        Assert.Equal(feeders, feeding.Count);
        // A watched conv takes f32 input, so watching every conv turns the handovers off.
        foreach (var c in low.Convs) c.Observer = (_, _) => { };
        var plain = low.Predict(x).ToArray();
        var reference = f32.Predict(x).ToArray();
        if (precision == Precision.Bf16)
        {
            Assert.Equal(plain, handed);
            return;
        }
        // int8: a value one f32 rounding away from a half-step may land one step over, and such flips spread; each
        // is far smaller than int8's own distance from f32.
        double own = plain.Zip(reference).Max(p => Math.Abs(p.First - p.Second));
        double diff = plain.Zip(handed).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"int8 logits: handing over moved them by {diff}, int8's own distance from f32 is {own}");
        Assert.True(diff <= own, $"handing over moved the logits by {diff}, int8's own distance from f32 is {own}");
    }

    // Two 3x3 convs in a row (16 -> 32 -> 24) and an input, with biases so that ReLU clips.
    private static (FoldedConv a, FoldedConv b, Tensor x) Pair(bool relu)
    {
        using var c1 = new Conv2d(16, 32, 3, 1, 1, 1, 1, bias: true);
        using var c2 = new Conv2d(32, 24, 3, 1, 1, 1, 1, bias: true);
        var x = F.ToFormat(Tensor.Randn([2, 16, 11, 13], 7), Engine.ActivationFormat);
        return (new FoldedConv(c1, null, relu, winograd: false), new FoldedConv(c2, null, relu: true, winograd: false), x);
    }
}
