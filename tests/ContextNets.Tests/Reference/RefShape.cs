namespace ContextNets.Tests.Reference;

/// <summary>
/// Shape ops on the reference path. Each moves values by explicit multi-index
/// arithmetic; the backward of each is the same move run the other way.
/// </summary>
internal static class RefShape
{
    public static RefTensor Reshape(RefTensor x, int[] shape) => new(shape, (double[])x.Data.Clone());

    /// <summary>y[i_0, ..., i_k] = x[j] where j[axes[d]] = i_d.</summary>
    public static RefTensor Permute(RefTensor x, int[] axes)
    {
        var y = new RefTensor(Array.ConvertAll(axes, a => x.Shape[a]));
        var src = new int[x.Rank];
        for (int i = 0; i < y.Length; i++)
        {
            var idx = Unravel(i, y.Shape);
            for (int d = 0; d < axes.Length; d++) src[axes[d]] = idx[d];
            y.Data[i] = x[src];
        }
        return y;
    }

    public static RefTensor PermuteBackward(RefTensor gy, int[] axes)
    {
        var inverse = new int[axes.Length];
        for (int d = 0; d < axes.Length; d++) inverse[axes[d]] = d;
        return Permute(gy, inverse);
    }

    public static RefTensor Slice(RefTensor x, int axis, int start, int length)
    {
        var shape = (int[])x.Shape.Clone();
        shape[axis] = length;
        var y = new RefTensor(shape);
        for (int i = 0; i < y.Length; i++)
        {
            var idx = Unravel(i, shape);
            idx[axis] += start;
            y.Data[i] = x[idx];
        }
        return y;
    }

    /// <summary>Elements start, start + step, ... (count of them) along an axis; step may be negative.</summary>
    public static RefTensor Slice(RefTensor x, int axis, int start, int count, int step)
    {
        var shape = (int[])x.Shape.Clone();
        shape[axis] = count;
        var y = new RefTensor(shape);
        for (int i = 0; i < y.Length; i++)
        {
            var idx = Unravel(i, shape);
            idx[axis] = start + step * idx[axis];
            y.Data[i] = x[idx];
        }
        return y;
    }

    public static RefTensor SliceBackward(RefTensor gy, int[] inputShape, int axis, int start, int step)
    {
        var gx = new RefTensor(inputShape);
        for (int i = 0; i < gy.Length; i++)
        {
            var idx = Unravel(i, gy.Shape);
            idx[axis] = start + step * idx[axis];
            gx[idx] += gy.Data[i];
        }
        return gx;
    }

    public static RefTensor SliceBackward(RefTensor gy, int[] inputShape, int axis, int start)
    {
        var gx = new RefTensor(inputShape);
        for (int i = 0; i < gy.Length; i++)
        {
            var idx = Unravel(i, gy.Shape);
            idx[axis] += start;
            gx[idx] += gy.Data[i];
        }
        return gx;
    }

    public static RefTensor Cat(RefTensor[] xs, int axis)
    {
        var shape = (int[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(x => x.Shape[axis]);
        var y = new RefTensor(shape);
        int start = 0;
        foreach (var x in xs)
        {
            for (int i = 0; i < x.Length; i++)
            {
                var idx = Unravel(i, x.Shape);
                idx[axis] += start;
                y[idx] = x.Data[i];
            }
            start += x.Shape[axis];
        }
        return y;
    }

    public static RefTensor[] CatBackward(RefTensor gy, RefTensor[] xs, int axis)
    {
        var grads = new RefTensor[xs.Length];
        int start = 0;
        for (int k = 0; k < xs.Length; k++)
        {
            grads[k] = Slice(gy, axis, start, xs[k].Shape[axis]);
            start += xs[k].Shape[axis];
        }
        return grads;
    }

    private static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
