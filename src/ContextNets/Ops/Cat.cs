using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Joins tensors along an axis; all other sizes must agree. A 4-D result is
    /// channels-last when any input is, so that activations keep their layout.
    /// </summary>
    public static unsafe Tensor Cat(IReadOnlyList<Tensor> xs, int axis)
    {
        int a = CatAxis(xs, axis);
        int total = 0;
        foreach (var x in xs) total += x.Shape[a];
        var shape = xs[0].Shape.With(a, total);
        bool channelsLast = shape.Rank == 4 && xs.Any(x => x.Format == MemoryFormat.ChannelsLast);
        var y = Tensor.Empty(shape, channelsLast ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous);
        int start = 0;
        foreach (var x in xs)
        {
            StridedCopy.Copy(x.Data, x.Strides, y.Data + (long)start * y.Strides[a], y.Strides, x.Shape);
            start += x.Shape[a];
        }
        if (!Tape.ShouldRecord(xs)) return y;
        var inputs = xs.ToArray();
        return Tape.Record(y, "cat", inputs, gy =>
        {
            var grads = new Tensor?[inputs.Length];
            int from = 0;
            for (int k = 0; k < inputs.Length; k++)
            {
                if (inputs[k].RequiresGrad)
                {
                    var g = inputs[k].EmptyLike();
                    StridedCopy.Copy(gy.Data + (long)from * gy.Strides[a], gy.Strides, g.Data, g.Strides, inputs[k].Shape);
                    grads[k] = g;
                }
                from += inputs[k].Shape[a];
            }
            return grads;
        });
    }

    private static int CatAxis(IReadOnlyList<Tensor> xs, int axis)
    {
        if (xs.Count == 0) throw new ArgumentException("cat: needs at least one tensor.");
        var first = xs[0].Shape;
        int a = first.Axis(axis);
        long total = 0;
        foreach (var x in xs)
        {
            bool fits = x.Rank == first.Rank;
            for (int d = 0; fits && d < first.Rank; d++) fits = d == a || x.Shape[d] == first[d];
            if (!fits)
                throw new ArgumentException($"cat: shapes {string.Join(", ", xs.Select(t => t.Shape.ToString()))} differ outside axis {axis}.");
            total += x.Shape[a];
        }
        if (total > int.MaxValue) throw new ArgumentException($"cat: joining {string.Join(", ", xs.Select(t => t.Shape.ToString()))} along axis {axis} gives {total} elements there, too many.");
        return a;
    }
}
