using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>
/// The managed channels-last kernels at sizes where the rows are split between threads and summed in blocks, and on
/// data whose mean is far from zero (where one-pass variance formulas lose their digits), against the reference.
/// </summary>
public class BatchNormChannelsLastTests
{
    private const double Eps = 1e-5;

    [Theory]
    [InlineData(8, 32, 32, 32, 0.0)]
    [InlineData(4, 48, 17, 19, 0.0)]
    [InlineData(2, 16, 40, 40, 50.0)]
    public void LargeMapsMatchTheReference(int n, int c, int h, int w, double offset)
    {
        int[] shape = [n, c, h, w];
        var x = RefTensor.Random(shape, 1, 2.0);
        for (int i = 0; i < x.Length; i++) x.Data[i] += offset;
        var (wt, b, rm) = (RefTensor.Random([c], 2), RefTensor.Random([c], 3), RefTensor.Random([c], 4));
        var rv = RefTensor.Random([c], 5);
        for (int i = 0; i < c; i++) rv.Data[i] = 0.5 + Math.Abs(rv.Data[i]);
        foreach (bool training in new[] { true, false })
        {
            var y = RefBatchNorm.Forward(x, wt, b, rm, rv, training, Eps);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefBatchNorm.Backward(x, wt, rm, rv, training, Eps, gy);
            var (newMean, newVar) = training ? RefBatchNorm.UpdateRunning(x, rm, rv, 0.1) : (rm, rv);
            using var scope = Tensor.Scope();
            var (rmT, rvT) = (rm.ToTensor(), rv.ToTensor());
            var (fy, grads) = Fast.ForwardBackward(t => F.BatchNorm2d(t[0], t[1], t[2], rmT, rvT, training), [x, wt, b], gy, MemoryFormat.ChannelsLast);
            string what = $"batch_norm2d {Shape.Format(shape)} + {offset} training={training} channels-last";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, what: what + " grad x");
            Check.Close(gw, grads[1]!, what: what + " grad w");
            Check.Close(gb, grads[2]!, what: what + " grad b");
            Check.Close(newMean, rmT, what: what + " running mean");
            Check.Close(newVar, rvT, what: what + " running var");
        }
    }
}
