using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

/// <summary>
/// The functional API, in the shape of torch.nn.functional. Every op checks
/// its inputs before anything reaches native code, returns a new tensor
/// owned by the current scope, and records its backward rule when a
/// gradient is needed.
/// </summary>
public static partial class F
{
    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);
    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);
    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);
    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);

    private static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        var y = BinaryNoGrad(op, a, b);
        if (!Tape.ShouldRecord(a, b)) return y;
        return Tape.Record(y, op.ToString().ToLowerInvariant(), [a, b], gy =>
        {
            Tensor? ga = null, gb = null;
            switch (op)
            {
                case BinaryOp.Add:
                    if (a.RequiresGrad) ga = SumTo(gy, a.Shape);
                    if (b.RequiresGrad) gb = SumTo(gy, b.Shape);
                    break;
                case BinaryOp.Sub:
                    if (a.RequiresGrad) ga = SumTo(gy, a.Shape);
                    if (b.RequiresGrad) { using var s = SumTo(gy, b.Shape); gb = Negate(s); }
                    break;
                case BinaryOp.Mul:
                    if (a.RequiresGrad) { using var t = BinaryNoGrad(BinaryOp.Mul, gy, b); ga = SumTo(t, a.Shape); }
                    if (b.RequiresGrad) { using var t = BinaryNoGrad(BinaryOp.Mul, gy, a); gb = SumTo(t, b.Shape); }
                    break;
                default:
                    // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(y/b)
                    if (a.RequiresGrad) { using var t = BinaryNoGrad(BinaryOp.Div, gy, b); ga = SumTo(t, a.Shape); }
                    if (b.RequiresGrad)
                    {
                        using var q = BinaryNoGrad(BinaryOp.Div, y, b);
                        using var t = BinaryNoGrad(BinaryOp.Mul, gy, q);
                        using var s = SumTo(t, b.Shape);
                        gb = Negate(s);
                    }
                    break;
            }
            return [ga, gb];
        });
    }

    internal static Tensor BinaryNoGrad(BinaryOp op, Tensor a, Tensor b)
    {
        var shape = Broadcast.Shapes(a.Shape, b.Shape, op.ToString().ToLowerInvariant());
        var y = shape == a.Shape ? a.EmptyLike() : shape == b.Shape ? b.EmptyLike() : Tensor.Empty(shape);
        if (a.Shape == b.Shape && !a.SameLayout(b))
        {
            // One reorder and a flat loop beat a strided walk that reads one operand across its rows.
            using var bLikeA = InLayoutOf(b, y);
            BinaryKernels.Run(op, a, bLikeA, y);
            return y;
        }
        BinaryKernels.Run(op, a, b, y);
        return y;
    }

    internal static Tensor AddNoGrad(Tensor a, Tensor b) => BinaryNoGrad(BinaryOp.Add, a, b);

    /// <summary>a += b, same shapes; used for gradient accumulation, never recorded.</summary>
    internal static void AddInPlace(Tensor a, Tensor b)
    {
        if (a.Shape != b.Shape) throw new ArgumentException($"In-place add of {b.Shape} into {a.Shape}.");
        BinaryKernels.Run(BinaryOp.Add, a, b, a);
        a.Touch();
    }

    /// <summary>Copies values between two tensors of one shape, whatever their layouts.</summary>
    // Below this, a layout change is cheaper as a managed strided loop than as a oneDNN reorder call.
    private const int ReorderThreshold = 1 << 14;

    internal static unsafe void CopyInto(Tensor src, Tensor dst)
    {
        if (src.Shape != dst.Shape) throw new ArgumentException($"Copy of {src.Shape} into {dst.Shape}.");
        if (src.SameLayout(dst)) src.Span.CopyTo(dst.Span);
        else if (src.Numel >= ReorderThreshold && src.Rank <= Backend.Dnnl.Md.MaxDims)
            Backend.Dnnl.PrimitiveCache.Reorder(Backend.Dnnl.Md.Of(src), (nint)src.Data, Backend.Dnnl.Md.Of(dst), (nint)dst.Data);
        else StridedCopy.Copy(src.Data, src.Strides, dst.Data, dst.Strides, src.Shape);
        dst.Touch();
    }

    /// <summary>The values in the given memory order: a view when they already lie so, else a copy. Never recorded.</summary>
    internal static Tensor Materialize(Tensor t, MemoryFormat format)
    {
        if (t.IsIn(format)) return t.Alias();
        var copy = Tensor.Empty(t.Shape, format);
        CopyInto(t, copy);
        return copy;
    }

    private static Tensor Negate(Tensor t)
    {
        var y = t.EmptyLike();
        System.Numerics.Tensors.TensorPrimitives.Negate(t.Span, y.Span);
        return y;
    }

    /// <summary>Sums a broadcast gradient back down to the shape of the input it came from.</summary>
    internal static Tensor SumTo(Tensor g, Shape target)
    {
        if (g.Shape == target) return g.Alias();
        int pad = g.Rank - target.Rank;
        var keep = new int[g.Rank];
        for (int i = 0; i < g.Rank; i++) keep[i] = i < pad ? 1 : target[i - pad];
        var summed = Tensor.Empty(new Shape(keep));
        ReduceKernels.Sum(g, summed);
        var view = summed.View(target, target.ContiguousStrides());
        summed.Dispose();
        return view;
    }
}

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);
}
