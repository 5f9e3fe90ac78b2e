using ContextNets.Autograd;
using ContextNets.NN;

namespace ContextNets.Tests.LowPrecision;

/// <summary>
/// bf16 and int8 convs against the f32 conv, within bounds derived from how each format rounds (never a hand-picked
/// tolerance): per output, the rounding of inputs and weights bounds the error of every product, and so of the sum.
/// </summary>
public class LowPrecisionConvTests
{
    // bf16 keeps 8 significant bits: rounding to nearest moves a value by at most 2^-8 of itself.
    private const double Bf16Unit = 1.0 / 256;
    // f32 accumulation of K products adds at most K * 2^-24 of the sum of their magnitudes (twice, for our reference and theirs).
    private const double F32Unit = 1.0 / (1 << 24);

    [Theory]
    [InlineData(3, 1, 1, false)]
    [InlineData(1, 1, 1, true)]
    [InlineData(3, 2, 1, true)]
    [InlineData(3, 1, 2, false)]
    [InlineData(7, 2, 1, true)]
    public void Bf16ErrorIsWithinTheRoundingOfInputsAndWeights(int k, int stride, int groups, bool relu)
    {
        var (conv, x) = Case(k, stride, groups, cin: 3 * 16);
        using (conv)
        using (var scope = Tensor.Scope())
        using (var noGrad = GradMode.NoGrad())
        using (var folded = new FoldedConv(conv, null, relu, winograd: false))
        {
            var expected = folded.RunFp32(x).ToArray();
            folded.Lower(Precision.Bf16);
            var actual = folded.Run(x).ToArray();
            var magnitudes = AbsConv(conv, x, out int taps).ToArray();
            double factor = 2 * Bf16Unit + Bf16Unit * Bf16Unit + 2 * taps * F32Unit;
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= factor * magnitudes[i] + 1e-30,
                    $"bf16 k {k} stride {stride} groups {groups}: at {i} {actual[i]} vs {expected[i]}, bound {factor * magnitudes[i]}");
        }
    }

    [Theory]
    [InlineData(3, 1, 1, true)]
    [InlineData(1, 1, 1, false)]
    [InlineData(3, 2, 1, false)]
    [InlineData(3, 1, 2, true)]
    public void Int8ErrorIsWithinHalfAStepOfInputsAndWeights(int k, int stride, int groups, bool unsignedInput)
    {
        var (conv, x) = Case(k, stride, groups, cin: 2 * 16);
        using (conv)
        using (var scope = Tensor.Scope())
        using (var noGrad = GradMode.NoGrad())
        using (var folded = new FoldedConv(conv, null, relu: false, winograd: false))
        {
            if (unsignedInput) x = F.Relu(x);
            var xs = x.ToArray();
            float maxAbs = xs.Max(Math.Abs);
            var input = new ActivationQuantization(maxAbs / (unsignedInput ? 255 : 127), unsignedInput);
            var expected = folded.RunFp32(x).ToArray();
            folded.Lower(Precision.Int8, input);
            var actual = folded.Run(x).ToArray();
            // |xw - x~w~| <= |x| dw/2 + |w| dx/2 + dx dw/4 per product, dx the input's step and dw the channel's.
            var w = conv.Weight.ToArray();
            int cout = conv.OutChannels, perOut = w.Length / cout;
            // The weights' step, computed here: the largest magnitude of each output channel's weights over 127.
            var stepW = Enumerable.Range(0, cout).Select(o => w.Skip(o * perOut).Take(perOut).Max(Math.Abs) / 127).ToArray();
            var sumAbsX = WindowSums(conv, Abs(x), out int taps).ToArray();
            var (oh, ow) = ((x.Shape[2] + 2 * conv.Padding - k) / stride + 1, (x.Shape[3] + 2 * conv.Padding - k) / stride + 1);
            var reference = AbsConv(conv, x, out _).ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                int o = i / (oh * ow) % cout;
                double sumAbsW = 0;
                for (int j = 0; j < perOut; j++) sumAbsW += Math.Abs(w[o * perOut + j]);
                double bound = stepW[o] / 2 * sumAbsX[i] + input.Scale / 2 * sumAbsW + taps * input.Scale * stepW[o] / 4
                    + 2 * taps * F32Unit * reference[i];
                Assert.True(Math.Abs(actual[i] - expected[i]) <= bound,
                    $"int8 k {k} stride {stride} groups {groups}: at {i} {actual[i]} vs {expected[i]}, bound {bound}");
            }
        }
    }

    [Fact]
    public void Int8ResidualSumAndReluAreFusedAfterTheScales()
    {
        var (conv, x) = Case(3, 1, 1, cin: 16);
        using (conv)
        using (var scope = Tensor.Scope())
        using (var noGrad = GradMode.NoGrad())
        using (var folded = new FoldedConv(conv, null, relu: false, winograd: false))
        {
            var shortcut = F.ToFormat(Tensor.Randn([2, conv.OutChannels, 11, 13], 9), Engine.ActivationFormat);
            float maxAbs = x.ToArray().Max(Math.Abs);
            folded.Lower(Precision.Int8, new ActivationQuantization(maxAbs / 127, Unsigned: false));
            var plain = folded.Run(x).ToArray();
            var s = shortcut.ToArray();
            var fused = folded.RunInto(x, F.Materialize(shortcut, Engine.ActivationFormat)).ToArray();
            for (int i = 0; i < plain.Length; i++)
                Assert.Equal(Math.Max(0, plain[i] + s[i]), fused[i], 1e-5f);
        }
    }

    private static (Conv2d conv, Tensor x) Case(int k, int stride, int groups, int cin)
    {
        var conv = new Conv2d(cin, 32, k, stride, k / 2, 1, groups, bias: true);
        return (conv, F.ToFormat(Tensor.Randn([2, cin, 11, 13], 7), Engine.ActivationFormat));
    }

    // sum_i |x_i| |w_i| for every output: the conv of the magnitudes, which bounds every product's rounding.
    private static Tensor AbsConv(Conv2d conv, Tensor x, out int taps)
    {
        taps = conv.InChannels / conv.Groups * conv.KernelSize * conv.KernelSize;
        return F.Conv2d(Abs(x), Abs(conv.Weight), Abs(conv.Bias!), conv.Stride, conv.Padding, conv.Dilation, conv.Groups);
    }

    private static Tensor Abs(Tensor t) => Tensor.FromArray(t.ToArray().Select(Math.Abs).ToArray(), t.Shape);

    // sum_i |x_i| over every output's window: the conv of |x| with ones.
    private static Tensor WindowSums(Conv2d conv, Tensor absX, out int taps)
    {
        taps = conv.InChannels / conv.Groups * conv.KernelSize * conv.KernelSize;
        using var ones = Tensor.Ones(conv.Weight.Shape);
        return F.Conv2d(absX, ones, null, conv.Stride, conv.Padding, conv.Dilation, conv.Groups);
    }
}
