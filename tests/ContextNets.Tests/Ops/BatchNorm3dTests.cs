using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class BatchNorm3dTests
{
    private const double Eps = 1e-5, Momentum = 0.1;

    public static TheoryData<int[]> Shapes => new() { new[] { 2, 3, 4, 3, 5 }, new[] { 1, 4, 2, 1, 1 }, new[] { 2, 16, 3, 2, 2 } };

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
            GradCheck.Verify(v => RefBatchNorm.Forward(v[0], v[1], v[2], rm, rv, training, Eps), [x, w, b], gy, [gx, gw, gb], $"batch_norm3d training={training}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FastPathMatchesReference(int[] shape)
    {
        var (x, w, b, rm, rv) = Inputs(shape);
        foreach (bool training in new[] { true, false })
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var y = RefBatchNorm.Forward(x, w, b, rm, rv, training, Eps);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefBatchNorm.Backward(x, w, rm, rv, training, Eps, gy);
            var (newMean, newVar) = training ? RefBatchNorm.UpdateRunning(x, rm, rv, Momentum) : (rm, rv);
            using var scope = Tensor.Scope();
            var (rmT, rvT) = (rm.ToTensor(), rv.ToTensor());
            var (fy, grads) = Fast.ForwardBackward(t => F.BatchNorm3d(t[0], t[1], t[2], rmT, rvT, training), [x, w, b], gy, format);
            string what = $"batch_norm3d {Shape.Format(shape)} training={training} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, what: what + " grad x");
            Check.Close(gw, grads[1]!, what: what + " grad w");
            Check.Close(gb, grads[2]!, what: what + " grad b");
            Check.Close(newMean, rmT, what: what + " running mean");
            Check.Close(newVar, rvT, what: what + " running var");
        }
    }

    [Fact]
    public void BadInputsNameTheClip()
    {
        using var scope = Tensor.Scope();
        var (m, v) = (Tensor.Zeros([3]), Tensor.Ones([3]));
        var ex = Assert.Throws<ArgumentException>(() => F.BatchNorm3d(Tensor.Zeros([2, 3, 4, 4]), null, null, m, v, true));
        Assert.Contains("batch_norm3d expects input [N, C, D, H, W]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm3d(Tensor.Zeros([2, 3, 2, 4, 4]), Tensor.Ones([4]), null, m, v, true));
        Assert.Contains("[2, 3, 2, 4, 4]", ex.Message);
    }

    private static (RefTensor x, RefTensor w, RefTensor b, RefTensor rm, RefTensor rv) Inputs(int[] shape)
    {
        int c = shape[1];
        var rv = RefTensor.Random([c], 5);
        for (int i = 0; i < c; i++) rv.Data[i] = 0.5 + Math.Abs(rv.Data[i]);
        return (RefTensor.Random(shape, 1, 2), RefTensor.Random([c], 2), RefTensor.Random([c], 3), RefTensor.Random([c], 4), rv);
    }
}
