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

    /// <summary>
    /// Every <paramref name="step"/>-th element along one axis, <paramref name="count"/> of them from
    /// <paramref name="start"/>; a negative step walks backwards (ONNX's Slice with steps, Python's x[start::step]).
    /// Always a copy, in the input's layout.
    /// </summary>
    public static Tensor Slice(Tensor x, int axis, int start, int count, int step)
    {
        if (step == 1) return Slice(x, axis, start, count);
        int a = x.Shape.Axis(axis), dim = x.Shape[a];
        long last = start + (long)step * (count - 1);
        if (step == 0 || count < 0 || (count > 0 && (start < 0 || start >= dim || last < 0 || last >= dim)))
            throw new ArgumentException($"slice: {count} elements from {start} in steps of {step} do not fit axis {axis} of {x.Shape}.");
        var y = StepSliceNoGrad(x, a, start, count, step);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "slice", [x], gy => [StepSliceBackward(gy, x, a, start, step)]);
    }

    /// <summary>Cuts x along an axis into consecutive pieces of the given sizes; each piece is a <see cref="Slice(Tensor, int, int, int)"/>.</summary>
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

    /// <summary>The input read as a view whose axis <paramref name="a"/> strides <paramref name="step"/> elements at a time.</summary>
    private static int[] StepStrides(Tensor t, int a, int step)
    {
        var strides = t.Strides.ToArray();
        strides[a] *= step;
        return strides;
    }

    private static unsafe Tensor StepSliceNoGrad(Tensor x, int a, int start, int count, int step)
    {
        var y = Tensor.Empty(x.Shape.With(a, count), x.Format);
        if (count > 0) StridedCopy.Copy(x.Data + (long)start * x.Strides[a], StepStrides(x, a, step), y.Data, y.Strides, y.Shape);
        return y;
    }

    /// <summary>The elements taken are distinct, so the gradient is gy copied back to where they came from, zeros elsewhere.</summary>
    private static unsafe Tensor StepSliceBackward(Tensor gy, Tensor x, int a, int start, int step)
    {
        var gx = x.EmptyLike();
        gx.Span.Clear();
        if (gy.Shape[a] > 0) StridedCopy.Copy(gy.Data, gy.Strides, gx.Data + (long)start * gx.Strides[a], StepStrides(gx, a, step), gy.Shape);
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
