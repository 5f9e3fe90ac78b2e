using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

public static partial class F
{
    /// <summary>exp(x) / sum exp(x) along an axis (negative counts from the end), in the layout of x.</summary>
    public static Tensor Softmax(Tensor x, int axis) => SoftmaxOp(x, axis, log: false);

    /// <summary>x - log sum exp(x) along an axis, computed without forming the softmax, in the layout of x.</summary>
    public static Tensor LogSoftmax(Tensor x, int axis) => SoftmaxOp(x, axis, log: true);

    private static Tensor SoftmaxOp(Tensor x, int axis, bool log)
    {
        string name = log ? "log_softmax" : "softmax";
        if (x.Rank == 0) throw new ArgumentException($"{name}: needs at least one dimension, got shape {x.Shape}.");
        int ax = x.Shape.Axis(axis);
        if (x.Numel == 0) throw new ArgumentException($"{name}: empty input {x.Shape}.");
        var y = x.EmptyLike();
        bool record = Tape.ShouldRecord(x);
        DnnlSoftmax.Forward(x, y, ax, log, record);
        if (!record) return y;
        return Tape.Record(y, name, [x], gy =>
        {
            using var g = InLayoutOf(gy, y);
            var gx = y.EmptyLike();
            DnnlSoftmax.Backward(y, g, gx, ax, log);
            return [gx];
        });
    }
}
