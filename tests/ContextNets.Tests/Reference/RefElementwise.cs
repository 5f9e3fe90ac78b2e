namespace ContextNets.Tests.Reference;

/// <summary>Broadcasting binary ops and reductions on the reference path.</summary>
internal static class RefElementwise
{
    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var s = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            s[i] = Math.Max(da, db);
        }
        return s;
    }

    /// <summary>The flat index into a broadcast operand for a flat index of the output.</summary>
    public static int SourceIndex(int flat, int[] outShape, int[] srcShape)
    {
        int pad = outShape.Length - srcShape.Length, src = 0, mul = 1;
        for (int d = outShape.Length - 1; d >= 0; d--)
        {
            int i = flat % outShape[d];
            flat /= outShape[d];
            if (d >= pad)
            {
                int sd = srcShape[d - pad];
                src += (sd == 1 ? 0 : i) * mul;
                mul *= sd;
            }
        }
        return src;
    }

    public static RefTensor Binary(Func<double, double, double> f, RefTensor a, RefTensor b)
    {
        var y = new RefTensor(BroadcastShape(a.Shape, b.Shape));
        for (int i = 0; i < y.Length; i++)
            y.Data[i] = f(a.Data[SourceIndex(i, y.Shape, a.Shape)], b.Data[SourceIndex(i, y.Shape, b.Shape)]);
        return y;
    }

    /// <summary>Gradients of a broadcasting binary op, from its partial derivatives.</summary>
    public static (RefTensor ga, RefTensor gb) BinaryBackward(Func<double, double, double> dfa, Func<double, double, double> dfb, RefTensor a, RefTensor b, RefTensor gy)
    {
        var ga = new RefTensor(a.Shape);
        var gb = new RefTensor(b.Shape);
        for (int i = 0; i < gy.Length; i++)
        {
            int ia = SourceIndex(i, gy.Shape, a.Shape), ib = SourceIndex(i, gy.Shape, b.Shape);
            ga.Data[ia] += gy.Data[i] * dfa(a.Data[ia], b.Data[ib]);
            gb.Data[ib] += gy.Data[i] * dfb(a.Data[ia], b.Data[ib]);
        }
        return (ga, gb);
    }

    /// <summary>Sum over axes, keeping them as size 1.</summary>
    public static RefTensor SumKeep(RefTensor x, int[] axes)
    {
        var shape = (int[])x.Shape.Clone();
        foreach (int a in axes) shape[a] = 1;
        var y = new RefTensor(shape);
        for (int i = 0; i < x.Length; i++) y.Data[SourceIndex(i, x.Shape, shape)] += x.Data[i];
        return y;
    }
}
