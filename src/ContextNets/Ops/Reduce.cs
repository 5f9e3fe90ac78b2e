using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>Sum over the given axes (all when none are given).</summary>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDim = false)
    {
        var (kept, final) = ReducedShapes(x, axes, keepDim, "sum");
        var summed = Tensor.Empty(kept);
        ReduceKernels.Sum(x, summed);
        var y = summed.View(final, final.ContiguousStrides());
        summed.Dispose();
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "sum", [x], gy => [ExpandTo(gy, kept, x)]);
    }

    /// <summary>Mean over the given axes (all when none are given).</summary>
    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDim = false)
    {
        var (kept, final) = ReducedShapes(x, axes, keepDim, "mean");
        int count = kept.Numel == 0 ? 0 : x.Numel / kept.Numel;
        var summed = Tensor.Empty(kept);
        ReduceKernels.Sum(x, summed);
        System.Numerics.Tensors.TensorPrimitives.Multiply(summed.Span, 1f / count, summed.Span);
        var y = summed.View(final, final.ContiguousStrides());
        summed.Dispose();
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "mean", [x], gy =>
        {
            using var g = ExpandTo(gy, kept, x);
            var scaled = g.EmptyLike();
            System.Numerics.Tensors.TensorPrimitives.Multiply(g.Span, 1f / count, scaled.Span);
            return [scaled];
        });
    }

    private static (Shape kept, Shape final) ReducedShapes(Tensor x, int[]? axes, bool keepDim, string op)
    {
        var reduce = new bool[x.Rank];
        if (axes is null || axes.Length == 0) Array.Fill(reduce, true);
        else
            foreach (int a in axes)
            {
                int ax = x.Shape.Axis(a);
                if (reduce[ax]) throw new ArgumentException($"{op}: axis {a} is given twice for shape {x.Shape}.");
                reduce[ax] = true;
            }
        var kept = new int[x.Rank];
        var final = new List<int>();
        for (int i = 0; i < x.Rank; i++)
        {
            kept[i] = reduce[i] ? 1 : x.Shape[i];
            if (!reduce[i] || keepDim) final.Add(kept[i]);
        }
        return (new Shape(kept), new Shape([.. final]));
    }

    /// <summary>Broadcasts a reduced gradient back over the input's shape and layout.</summary>
    private static Tensor ExpandTo(Tensor gy, Shape kept, Tensor like)
    {
        using var c = Materialize(gy, MemoryFormat.Contiguous);
        using var g = c.View(kept, kept.ContiguousStrides());
        using var zero = Tensor.Zeros(new Shape());
        var y = like.EmptyLike();
        BinaryKernels.Run(BinaryOp.Add, g, zero, y);
        return y;
    }
}
