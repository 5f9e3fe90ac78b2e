using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class DropoutTests
{
    [Fact]
    public void ReferenceGradientMatchesFiniteDifferences()
    {
        var x = RefTensor.Random([3, 7], 1);
        var keep = Enumerable.Range(0, x.Length).Select(i => i % 3 != 0).ToArray();
        var gy = RefTensor.Random(x.Shape, 7);
        GradCheck.Verify(v => RefDropout.Forward(v[0], keep, 0.4), [x], gy, [RefDropout.Backward(gy, keep, 0.4)], "dropout");
    }

    /// <summary>The mask is read off the fast output (x has no zeros), and the reference is run with it.</summary>
    [Theory]
    [InlineData(new[] { 6, 50 }, 0.3f)]
    [InlineData(new[] { 2, 6, 5, 7 }, 0.5f)]
    public void FastPathMatchesReferenceWithItsMask(int[] shape, float p)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var x = RefTensor.Random(shape, 1);
            for (int i = 0; i < x.Length; i++) x.Data[i] += Math.Sign(x.Data[i]) * 0.5;
            var gy = RefTensor.Random(shape, 7);
            var (fy, grads) = Fast.ForwardBackward(t => F.Dropout(t[0], p, training: true, seed: 11), [x], gy, format);
            var keep = fy.Data.Select(v => v != 0).ToArray();
            Check.Close(RefDropout.Forward(x, keep, p), fy, what: $"dropout {format} y");
            Check.Close(RefDropout.Backward(gy, keep, p), grads[0]!, what: $"dropout {format} grad");
        }
    }

    /// <summary>
    /// The number of zeros among n = 100,000 ones is Binomial(n, p), with standard
    /// deviation sqrt(n p (1 - p)) (at most 158). The bound is 6 of those: a correct
    /// sampler misses it with probability about 2e-9.
    /// </summary>
    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void FractionOfZerosIsNearPAndSurvivorsAreScaledExactly(float p)
    {
        using var scope = Tensor.Scope();
        const int n = 100_000;
        var y = F.Dropout(Tensor.Ones([200, 500]), p, training: true, seed: 3).ToArray();
        float scale = (float)(1.0 / (1.0 - p));
        int zeros = y.Count(v => v == 0f);
        double mean = n * p, bound = 6 * Math.Sqrt(n * p * (1 - p));
        Assert.True(Math.Abs(zeros - mean) <= bound, $"p = {p}: {zeros} zeros of {n}, expected {mean} +- {bound:F0}");
        Assert.All(y, v => Assert.True(v == 0f || v == scale, $"value {v} is neither 0 nor 1/(1-p) = {scale}"));
    }

    [Fact]
    public void GradientIsTheMaskTimesTheScale()
    {
        using var scope = Tensor.Scope();
        const float p = 0.25f;
        float scale = (float)(1.0 / (1.0 - p));
        var x = Tensor.Uniform([40, 30], 1, 1f, 2f);
        x.RequiresGrad = true;
        var y = F.Dropout(x, p, training: true, seed: 5);
        var gy = Tensor.Randn([40, 30], 2);
        y.Backward(gy);
        float[] xs = x.ToArray(), ys = y.ToArray(), gys = gy.ToArray(), gxs = x.Grad!.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            bool kept = ys[i] != 0f;
            Assert.Equal(kept ? xs[i] * scale : 0f, ys[i]);
            Assert.Equal(kept ? gys[i] * scale : 0f, gxs[i]);
        }
    }

    [Fact]
    public void SameSeedGivesTheSameMaskInEitherLayout()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Uniform([2, 3, 8, 8], 1, 1f, 2f);
        var a = F.Dropout(x, 0.5f, true, seed: 42).ToArray();
        var b = F.Dropout(x, 0.5f, true, seed: 42).ToArray();
        var c = F.Dropout(F.Materialize(x, MemoryFormat.ChannelsLast), 0.5f, true, seed: 42).ToArray();
        var d = F.Dropout(x, 0.5f, true, seed: 43).ToArray();
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.NotEqual(a, d);
        Assert.NotEqual(F.Dropout(x, 0.5f, true).ToArray(), F.Dropout(x, 0.5f, true).ToArray());
    }

    [Theory]
    [InlineData(0.5f, false)]
    [InlineData(0f, true)]
    public void IdentityWhenNotTrainingOrPIsZero(float p, bool training)
    {
        var x = RefTensor.Random([4, 5], 1);
        var gy = RefTensor.Random([4, 5], 7);
        var (fy, grads) = Fast.ForwardBackward(t => F.Dropout(t[0], p, training, seed: 1), [x], gy);
        Assert.Equal(x.Data, fy.Data);
        Assert.Equal(gy.Data.Select(v => (double)(float)v), grads[0]!.Data);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void ProbabilityOutsideTheRangeIsRejected(float p)
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.Dropout(Tensor.Ones([2, 3]), p, training: true));
        Assert.Contains($"p = {p}", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
    }
}
