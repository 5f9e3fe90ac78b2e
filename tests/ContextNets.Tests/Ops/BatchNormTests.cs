using ContextNets.Autograd;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class BatchNormTests
{
    private const double Eps = 1e-5, Momentum = 0.1;

    public static TheoryData<int[]> Shapes => new() { new[] { 2, 3, 4, 5 }, new[] { 4, 8, 1, 1 }, new[] { 1, 4, 3, 3 }, new[] { 3, 16, 2, 2 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] shape)
    {
        var (x, w, b, rm, rv) = Inputs(shape);
        foreach (bool training in new[] { true, false })
        {
            var y = RefBatchNorm.Forward(x, w, b, rm, rv, training, Eps);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefBatchNorm.Backward(x, w, rm, rv, training, Eps, gy);
            GradCheck.Verify(v => RefBatchNorm.Forward(v[0], v[1], v[2], rm, rv, training, Eps), [x, w, b], gy, [gx, gw, gb], $"batch_norm2d training={training}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FastPathMatchesReference(int[] shape)
    {
        var (x, w, b, rm, rv) = Inputs(shape);
        foreach (bool training in new[] { true, false })
        foreach (bool affine in new[] { true, false })
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (w1, b1) = affine ? (w, b) : (Filled(shape[1], 1), Filled(shape[1], 0));
            var y = RefBatchNorm.Forward(x, w1, b1, rm, rv, training, Eps);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefBatchNorm.Backward(x, w1, rm, rv, training, Eps, gy);
            var (newMean, newVar) = training ? RefBatchNorm.UpdateRunning(x, rm, rv, Momentum) : (rm, rv);
            using var scope = Tensor.Scope();
            var (rmT, rvT) = (rm.ToTensor(), rv.ToTensor());
            var (fy, grads) = Fast.ForwardBackward(t => F.BatchNorm2d(t[0], affine ? t[1] : null, affine ? t[2] : null, rmT, rvT, training),
                affine ? [x, w, b] : [x], gy, format);
            string what = $"batch_norm2d {Shape.Format(shape)} training={training} affine={affine} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, what: what + " grad x");
            if (affine) Check.Close(gw, grads[1]!, what: what + " grad w");
            if (affine) Check.Close(gb, grads[2]!, what: what + " grad b");
            Check.Close(newMean, rmT, what: what + " running mean");
            Check.Close(newVar, rvT, what: what + " running var");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void InferenceMatchesReference(int[] shape)
    {
        var (x, w, b, rm, rv) = Inputs(shape);
        foreach (bool training in new[] { true, false })
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            var (rmT, rvT) = (rm.ToTensor(), rv.ToTensor());
            var y = F.BatchNorm2d(F.Materialize(x.ToTensor(), format), w.ToTensor(), b.ToTensor(), rmT, rvT, training);
            string what = $"batch_norm2d inference training={training} {format}";
            Assert.Equal(Engine.ActivationFormat == MemoryFormat.ChannelsLast && shape[2] * shape[3] > 1 ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous, y.Format);
            Check.Close(RefBatchNorm.Forward(x, w, b, rm, rv, training, Eps), y, what: what);
            var (newMean, newVar) = training ? RefBatchNorm.UpdateRunning(x, rm, rv, Momentum) : (rm, rv);
            Check.Close(newMean, rmT, what: what + " running mean");
            Check.Close(newVar, rvT, what: what + " running var");
        }
    }

    [Fact]
    public void RunningStatsMoveExactlyAsInPyTorch()
    {
        using var scope = Tensor.Scope();
        // Channel 0 holds 1, 2, 3, 6: mean 3, biased variance 14/4, unbiased 14/3.
        // Channel 1 holds 2, 2, 2, 2: mean 2, variance 0.
        var x = Tensor.FromArray([1, 2, 2, 2, 3, 6, 2, 2], 2, 2, 1, 2);
        var rm = Tensor.FromArray([0.5f, -1f], 2);
        var rv = Tensor.FromArray([1f, 2f], 2);
        int mv = rm.Version, vv = rv.Version;
        var y = F.BatchNorm2d(x, null, null, rm, rv, training: true, momentum: 0.25f);
        Assert.Equal(new[] { 0.75f * 0.5f + 0.25f * 3f, 0.75f * -1f + 0.25f * 2f }, rm.ToArray());
        Assert.Equal(0.75 * 1 + 0.25 * 14.0 / 3, rv[0], 6);
        Assert.Equal(0.75 * 2, rv[1], 6);
        Assert.True(rm.Version > mv && rv.Version > vv, "the running statistics were not marked as changed");
        // The output uses the biased variance: (1 - 3) / sqrt(3.5 + eps).
        Assert.Equal(-2 / Math.Sqrt(3.5 + 1e-5), y[0, 0, 0, 0], 5);
        Assert.Equal(0f, y[1, 1, 0, 1], 6);

        // Evaluation normalizes with the running statistics and leaves them alone.
        var z = F.BatchNorm2d(x, Tensor.FromArray([2f, 1f], 2), Tensor.FromArray([0f, 1f], 2), rm, rv, training: false);
        Assert.Equal(2 * (1 - rm[0]) / Math.Sqrt(rv[0] + 1e-5), z[0, 0, 0, 0], 5);
        Assert.Equal((2 - rm[1]) / Math.Sqrt(rv[1] + 1e-5) + 1, z[0, 1, 0, 1], 5);
        Assert.Equal(0.75f * 0.5f + 0.25f * 3f, rm[0]);
    }

    [Fact]
    public void BadInputsAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4, 4]);
        var (m, v) = (Tensor.Zeros([3]), Tensor.Ones([3]));
        var ex = Assert.Throws<ArgumentException>(() => F.BatchNorm2d(x, Tensor.Ones([4]), null, m, v, true));
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[2, 3, 4, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm2d(Tensor.Zeros([2, 3, 4]), null, null, m, v, true));
        Assert.Contains("[2, 3, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm2d(x, null, null, null, null, false));
        Assert.Contains("running", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm2d(Tensor.Zeros([1, 3, 1, 1]), null, null, m, v, true));
        Assert.Contains("more than one value", ex.Message);
        Assert.Throws<ArgumentException>(() => F.BatchNorm2d(x, null, null, m, Tensor.Ones([2]), false));
    }

    private static (RefTensor x, RefTensor w, RefTensor b, RefTensor rm, RefTensor rv) Inputs(int[] shape)
    {
        int c = shape[1];
        var rv = RefTensor.Random([c], 5);
        for (int i = 0; i < c; i++) rv.Data[i] = (float)(0.5 + Math.Abs(rv.Data[i]));
        return (RefTensor.Random(shape, 1, 2.0), RefTensor.Random([c], 2), RefTensor.Random([c], 3), RefTensor.Random([c], 4), rv);
    }

    private static RefTensor Filled(int n, double value) => new([n], Enumerable.Repeat(value, n).ToArray());
}
