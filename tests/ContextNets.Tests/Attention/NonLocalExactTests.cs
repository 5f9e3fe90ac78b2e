using ContextNets.Attention;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention;

/// <summary>
/// Blocks whose logits are too large for float32, which therefore run in float64 (NonLocalPrecision), against the
/// float64 reference (RefNonLocal, itself checked by finite differences) on inputs of every rank and with
/// sub-sampling, which the PyTorch vectors (2-D only) do not reach.
/// </summary>
public class NonLocalExactTests
{
    [Theory]
    [InlineData(new[] { 2, 16, 9 })]
    [InlineData(new[] { 2, 16, 5, 6 })]
    [InlineData(new[] { 1, 16, 2, 4, 5 })]
    public void SharpBlocksMatchTheFloat64Reference(int[] shape)
    {
        foreach (string mode in new[] { "gaussian", "embedded_gaussian" })
        foreach (bool sub in new[] { false, true })
        {
            using var block = new NonLocal(shape[1], PairwiseNames.Parse(mode), subSample: sub, useScale: false);
            var p = NonLocalTests.RandomParams(block, 81);
            var x = RefTensor.Random(shape, 15, mode == "gaussian" ? 6.0 : 1.0);
            if (mode != "gaussian")
                foreach (var name in new[] { "theta.weight", "phi.weight" }) p[name] = Scaled(p[name], 6.0);
            string what = $"sharp non-local {mode} sub_sample={sub} {Shape.Format(shape)}";
            NonLocalTests.LoadParams(block, p);
            var cfg = new RefNonLocalConfig(mode, sub, UseScale: false);
            var gz = RefTensor.Random(shape, 16);
            var (z, attention) = RefNonLocal.Forward(x, p, cfg);
            Assert.True(LargestRowRange(attention) > 2 * NonLocalPrecision.Float32Limit, $"{what}: the logits are not far beyond the float32 limit");
            var grads = RefNonLocal.Backward(x, p, cfg, gz);
            var run = NonLocalTests.Run(block, x, gz, shape.Length == 4 ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous);
            Check.Close(z, run.Z, what: what + " z");
            Check.Close(attention, run.Attention, what: what + " attention");
            foreach (var (name, g) in grads) Check.Close(g, run.Grads[name], what: $"{what} grad {name}");
        }
    }

    private static RefTensor Scaled(RefTensor t, double factor) => new(t.Shape, t.Data.Select(v => v * factor).ToArray());

    // The range of a row's logits is ln(max a / min a) of its softmax weights.
    private static double LargestRowRange(RefTensor attention)
    {
        int cols = attention.Shape[^1];
        double largest = 0;
        for (int r = 0; r < attention.Length / cols; r++)
        {
            var row = attention.Data.AsSpan(r * cols, cols);
            largest = Math.Max(largest, Math.Log(row.ToArray().Max() / row.ToArray().Min()));
        }
        return largest;
    }
}
