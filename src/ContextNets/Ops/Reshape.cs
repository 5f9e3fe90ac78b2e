using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// The same values in row-major order under a new shape; one size may be -1
    /// and is then inferred. A view when x is row-major, a copy otherwise.
    /// </summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var target = ReshapeTarget(x.Shape, shape);
        var y = ReshapeNoGrad(x, target);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "reshape", [x], gy => [ReshapeNoGrad(gy, x.Shape)]);
    }

    /// <summary>The values in row-major order: x itself (as a new view) when they already lie so.</summary>
    public static Tensor Contiguous(Tensor x) => ToFormat(x, MemoryFormat.Contiguous);

    /// <summary>The values in the given memory order, with the gradient passed straight through.</summary>
    public static Tensor ToFormat(Tensor x, MemoryFormat format)
    {
        if (format == MemoryFormat.ChannelsLast && x.Rank is not (4 or 5))
            throw new ArgumentException($"to_format: channels-last needs a 4-D or 5-D tensor, not {x.Shape}.");
        var y = Materialize(x, format);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "to_format", [x], gy => [gy]);
    }

    private static Tensor ReshapeNoGrad(Tensor t, Shape shape)
    {
        using var c = Materialize(t, MemoryFormat.Contiguous);
        return c.View(shape, shape.ContiguousStrides());
    }

    private static Shape ReshapeTarget(Shape from, int[] shape)
    {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1 && infer < 0) { infer = i; continue; }
            if (shape[i] < 0)
                throw new ArgumentException($"reshape: {Shape.Format(shape)} may hold one -1 and otherwise sizes of at least 0 (input {from}).");
            // Capped so that absurd sizes cannot overflow into a matching count.
            known = Math.Min(known * shape[i], 1L << 32);
        }
        if (infer >= 0)
        {
            if (known == 0 || from.Numel % known != 0)
                throw new ArgumentException($"reshape: cannot infer the -1 in {Shape.Format(shape)} for input {from} ({from.Numel} elements).");
            var resolved = (int[])shape.Clone();
            resolved[infer] = (int)(from.Numel / known);
            return new Shape(resolved);
        }
        if (known != from.Numel)
            throw new ArgumentException($"reshape: shape {Shape.Format(shape)} does not hold the {from.Numel} elements of {from}.");
        return new Shape(shape);
    }
}

public sealed partial class Tensor
{
    /// <summary>See <see cref="F.Reshape"/>.</summary>
    public Tensor Reshape(params int[] shape) => F.Reshape(this, shape);
}
