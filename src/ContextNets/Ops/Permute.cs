using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Reorders the axes: result axis d is input axis axes[d]. The result is
    /// row-major; it is a view when the input's memory already lies in that
    /// order (a channels-last [N, C, H, W] permuted to [N, H, W, C]), else a copy.
    /// </summary>
    public static Tensor Permute(Tensor x, params int[] axes)
    {
        var order = PermutationOf(x.Shape, axes);
        var y = PermuteNoGrad(x, order);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "permute", [x], gy =>
        {
            var gx = x.EmptyLike();
            CopyPermuted(gy, gx, order, scatter: true);
            return [gx];
        });
    }

    /// <summary>Swaps two axes.</summary>
    public static Tensor Transpose(Tensor x, int a, int b)
    {
        var axes = new int[x.Rank];
        for (int i = 0; i < axes.Length; i++) axes[i] = i;
        int ia = x.Shape.Axis(a), ib = x.Shape.Axis(b);
        (axes[ia], axes[ib]) = (ib, ia);
        return Permute(x, axes);
    }

    private static Tensor PermuteNoGrad(Tensor x, int[] order)
    {
        var shape = new Shape(Array.ConvertAll(order, a => x.Shape[a]));
        var picked = Array.ConvertAll(order, a => x.Strides[a]);
        var rowMajor = shape.ContiguousStrides();
        bool alreadyInOrder = true;
        for (int d = 0; d < shape.Rank; d++)
            if (shape[d] != 1 && picked[d] != rowMajor[d]) alreadyInOrder = false;
        if (alreadyInOrder) return x.View(shape, rowMajor);
        var y = Tensor.Empty(shape);
        CopyPermuted(x, y, order, scatter: false);
        return y;
    }

    /// <summary>Gather: dst[i] = src[permuted i]; scatter: the inverse, dst[permuted i] = src[i].</summary>
    private static unsafe void CopyPermuted(Tensor src, Tensor dst, int[] order, bool scatter)
    {
        if (scatter)
            StridedCopy.Copy(src.Data, src.Strides, dst.Data, Array.ConvertAll(order, a => dst.Strides[a]), src.Shape);
        else
            StridedCopy.Copy(src.Data, Array.ConvertAll(order, a => src.Strides[a]), dst.Data, dst.Strides, dst.Shape);
    }

    private static int[] PermutationOf(Shape shape, int[] axes)
    {
        if (axes.Length != shape.Rank)
            throw new ArgumentException($"permute: axes {Shape.Format(axes)} do not order the {shape.Rank} axes of {shape}.");
        var order = new int[axes.Length];
        var seen = new bool[axes.Length];
        for (int d = 0; d < axes.Length; d++)
        {
            int a = axes[d] < 0 ? axes[d] + shape.Rank : axes[d];
            if (a < 0 || a >= shape.Rank || seen[a])
                throw new ArgumentException($"permute: axes {Shape.Format(axes)} are not a permutation of the axes of {shape}.");
            seen[a] = true;
            order[d] = a;
        }
        return order;
    }
}

public sealed partial class Tensor
{
    /// <summary>See <see cref="F.Permute"/>.</summary>
    public Tensor Permute(params int[] axes) => F.Permute(this, axes);

    /// <summary>See <see cref="F.Transpose"/>.</summary>
    public Tensor Transpose(int a, int b) => F.Transpose(this, a, b);
}
