using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Elements start .. start+length-1 along one axis. A view (no copy) when
    /// that axis is the outermost in memory, as axis 0 is for every layout;
    /// otherwise a copy in the input's layout.
    /// </summary>
    public static Tensor Slice(Tensor x, int axis, int start, int length)
    {
        int a = x.Shape.Axis(axis);
        if (start < 0 || length < 0 || length > x.Shape[a] - start)
            throw new ArgumentException($"slice: [{start}, {(long)start + length}) is outside axis {axis} of {x.Shape}.");
        var y = SliceNoGrad(x, a, start, length);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "slice", [x], gy => [SliceBackward(gy, x, a, start)]);
    }

    /// <summary>Cuts x along an axis into consecutive pieces of the given sizes; each piece is a <see cref="Slice"/>.</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int axis)
    {
        int a = x.Shape.Axis(axis);
        long total = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"split: sizes {Shape.Format(sizes)} must not be negative (input {x.Shape}).");
            total += s;
        }
        if (total != x.Shape[a])
            throw new ArgumentException($"split: sizes {Shape.Format(sizes)} add up to {total}, but axis {axis} of {x.Shape} has {x.Shape[a]}.");
        var pieces = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            pieces[i] = Slice(x, a, start, sizes[i]);
            start += sizes[i];
        }
        return pieces;
    }

    private static unsafe Tensor SliceNoGrad(Tensor x, int a, int start, int length)
    {
        if (length == x.Shape[a]) return x.Alias();
        var shape = x.Shape.With(a, length);
        if (IsOutermost(x, a)) return x.View(shape, x.Strides.ToArray(), start * x.Strides[a]);
        var y = Tensor.Empty(shape, x.Format);
        StridedCopy.Copy(x.Data + (long)start * x.Strides[a], x.Strides, y.Data, y.Strides, shape);
        return y;
    }

    private static unsafe Tensor SliceBackward(Tensor gy, Tensor x, int a, int start)
    {
        var gx = x.EmptyLike();
        gx.Span.Clear();
        StridedCopy.Copy(gy.Data, gy.Strides, gx.Data + (long)start * gx.Strides[a], gx.Strides, gy.Shape);
        return gx;
    }

    /// <summary>True when every other axis of more than one element has a smaller stride, so that a range of this axis is one dense block.</summary>
    private static bool IsOutermost(Tensor x, int a)
    {
        for (int b = 0; b < x.Rank; b++)
            if (b != a && x.Shape[b] > 1 && x.Strides[b] >= x.Strides[a]) return false;
        return true;
    }
}
