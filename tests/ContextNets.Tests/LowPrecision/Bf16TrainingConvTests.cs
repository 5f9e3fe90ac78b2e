using ContextNets.Backend.Dnnl;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.LowPrecision;

/// <summary>
/// The bf16 training convolutions (<see cref="Engine.Bf16Convolutions"/>, with <see cref="Engine.Bf16WeightGradients"/>)
/// against the plain loop reference on the same operands rounded to bf16, in float64. A product of two bf16 values is exact in f32 (8 + 8 significant bits),
/// so the only error left is oneDNN's f32 accumulation of K terms, at most gamma_K = K u / (1 - K u) of the sum of
/// their magnitudes (u = 2^-24), plus the last rounding of the result. The same outputs differ from the unrounded
/// reference by more than that bound somewhere: the operands really went through bf16.
/// </summary>
[Collection(EngineSwitchCollection.Name)]
public class Bf16TrainingConvTests
{
    private const double U = 1.0 / (1 << 24);

    [Theory]
    [InlineData(16, 3, 1, 1)]
    [InlineData(32, 1, 1, 1)]
    [InlineData(16, 3, 2, 1)]
    [InlineData(32, 3, 1, 2)]
    [InlineData(3, 3, 1, 1)]
    public void ForwardAndBothBackwardsAreTheF32SumsOfBf16Operands(int cin, int k, int stride, int groups)
    {
        const int cout = 32;
        int pad = k / 2;
        var x = RefTensor.Random([2, cin, 9, 11], 1);
        var w = RefTensor.Random([cout, cin / groups, k, k], 2, 0.3);
        var b = RefTensor.Random([cout], 3);
        int oh = (9 + 2 * pad - k) / stride + 1, ow = (11 + 2 * pad - k) / stride + 1;
        var gy = RefTensor.Random([2, cout, oh, ow], 4);
        float[] y, gx, gw, gb;
        using (var scope = Tensor.Scope())
        {
            Engine.Bf16Convolutions = true;
            try
            {
                var (xt, wt, bt) = (F.ToFormat(x.ToTensor(), Engine.ActivationFormat), w.ToTensor(), b.ToTensor());
                var g = F.ConvGeometryOf(xt, wt, bt, (stride, stride), (pad, pad), (1, 1), groups);
                var yt = Tensor.Empty(g.OutShape, Engine.ActivationFormat);
                DnnlConv.Forward(g, xt, wt, bt, yt, training: true);
                var gyt = F.ToFormat(gy.ToTensor(), Engine.ActivationFormat);
                var gxt = Tensor.Empty(xt.Shape, DnnlConv.BackwardDataLayout(g));
                DnnlConv.BackwardData(g, gyt, wt, gxt);
                var (gwt, gbt) = (Tensor.Empty(wt.Shape), Tensor.Empty(bt.Shape));
                DnnlConv.BackwardWeights(g, xt, gyt, gwt, gbt);
                (y, gx, gw, gb) = (yt.ToArray(), gxt.ToArray(), gwt.ToArray(), gbt.ToArray());
            }
            finally
            {
                Engine.Bf16Convolutions = false;
            }
        }
        var (xr, wr, gyr) = (Bf16(x), Bf16(w), Bf16(gy));
        var yRef = RefConv.Forward(xr, wr, b, stride, pad, 1, groups);
        var yMag = RefConv.Forward(Abs(xr), Abs(wr), Abs(b), stride, pad, 1, groups);
        var (gxRef, gwRef, gbRef) = RefConv.Backward(xr, wr, gyr, stride, pad, 1, groups);
        var (gxMag, gwMag, gbMag) = RefConv.Backward(Abs(xr), Abs(wr), Abs(gyr), stride, pad, 1, groups);
        string what = $"cin {cin} k {k} stride {stride} groups {groups}";
        Check("forward " + what, y, yRef, yMag, cin / groups * k * k + 1);
        Check("backward-data " + what, gx, gxRef, gxMag, cout / groups * k * k);
        Check("backward-weights " + what, gw, gwRef, gwMag, 2 * oh * ow);
        Check("bias gradient " + what, gb, gbRef, gbMag, 2 * oh * ow);

        // The unrounded operands' exact results are out of that bound somewhere: bf16 rounding happened.
        var yExact = RefConv.Forward(x, w, b, stride, pad, 1, groups);
        var magnitudes = RefConv.Forward(Abs(x), Abs(w), Abs(b), stride, pad, 1, groups);
        double gamma = Gamma(cin / groups * k * k + 1);
        Assert.Contains(Enumerable.Range(0, y.Length), i => Math.Abs(y[i] - yExact.Data[i]) > gamma * magnitudes.Data[i] + U * Math.Abs(yExact.Data[i]));
    }

    // With Engine.Bf16WeightGradients off: bf16 forward and backward-data, f32 weight gradients.
    [Fact]
    public void WeightGradientsInF32AreThoseOfTheF32Engine()
    {
        var x = RefTensor.Random([2, 16, 9, 11], 1);
        var w = RefTensor.Random([32, 16, 3, 3], 2, 0.3);
        var gy = RefTensor.Random([2, 32, 9, 11], 4);
        float[] Gradients(bool bf16)
        {
            using var scope = Tensor.Scope();
            Engine.Bf16Convolutions = bf16;
            Engine.Bf16WeightGradients = false;
            try
            {
                var (xt, wt, bt) = (F.ToFormat(x.ToTensor(), Engine.ActivationFormat), w.ToTensor(), Tensor.Zeros([32]));
                var g = F.ConvGeometryOf(xt, wt, bt, (1, 1), (1, 1), (1, 1), 1);
                var (gwt, gbt) = (Tensor.Empty(wt.Shape), Tensor.Empty(bt.Shape));
                DnnlConv.BackwardWeights(g, xt, F.ToFormat(gy.ToTensor(), Engine.ActivationFormat), gwt, gbt);
                return [.. gwt.ToArray(), .. gbt.ToArray()];
            }
            finally
            {
                Engine.Bf16Convolutions = false;
                Engine.Bf16WeightGradients = true;
            }
        }
        // The same f32 kernel on the same f32 operands: bit for bit.
        Assert.Equal(Gradients(bf16: false), Gradients(bf16: true));
    }

    private static void Check(string what, float[] actual, RefTensor expected, RefTensor magnitudes, int terms)
    {
        double gamma = Gamma(terms);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            double bound = gamma * magnitudes.Data[i] + U * Math.Abs(expected.Data[i]);
            Assert.True(Math.Abs(actual[i] - expected.Data[i]) <= bound, $"{what}: at {i} {actual[i]} vs {expected.Data[i]}, bound {bound:G3}");
        }
    }

    private static double Gamma(int terms) => terms * U / (1 - terms * U);

    /// <summary>Each value rounded to bf16, to nearest with ties to even, as oneDNN's reorder rounds.</summary>
    private static RefTensor Bf16(RefTensor t) => new(t.Shape, Array.ConvertAll(t.Data, v =>
    {
        uint bits = BitConverter.SingleToUInt32Bits((float)v);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return (double)BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000);
    }));

    private static RefTensor Abs(RefTensor t) => new(t.Shape, Array.ConvertAll(t.Data, Math.Abs));
}
