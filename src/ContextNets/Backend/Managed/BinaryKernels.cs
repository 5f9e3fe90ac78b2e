using System.Numerics.Tensors;

namespace ContextNets.Backend.Managed;

internal enum BinaryOp { Add, Sub, Mul, Div }

/// <summary>Element-wise binary ops with broadcasting, vectorized along the innermost memory axis.</summary>
internal static unsafe class BinaryKernels
{
    /// <summary>out = a op b, where out has the broadcast shape and its own dense layout.</summary>
    public static void Run(BinaryOp op, Tensor a, Tensor b, Tensor output)
    {
        if (a.SameLayout(output) && b.SameLayout(output))
        {
            Flat(op, a, b, output);
            return;
        }
        var shape = output.Shape;
        var sa = Broadcast.StridesIn(a, shape);
        var sb = Broadcast.StridesIn(b, shape);
        var so = output.Strides.ToArray();
        int inner = StridedCopy.InnermostAxis(so, shape);
        int n = shape[inner];
        int outer = shape.Numel / Math.Max(1, n);
        float* pa = a.Data, pb = b.Data, po = output.Data;
        Par.For(outer, n, (begin, end) =>
        {
            Span<int> idx = stackalloc int[shape.Rank];
            Unflatten(begin, shape, inner, idx);
            for (int o = begin; o < end; o++)
            {
                long oa = 0, ob = 0, oo = 0;
                for (int d = 0; d < shape.Rank; d++) { oa += (long)idx[d] * sa[d]; ob += (long)idx[d] * sb[d]; oo += (long)idx[d] * so[d]; }
                Row(op, pa + oa, sa[inner], pb + ob, sb[inner], po + oo, so[inner], n);
                StridedCopy.Increment(idx, shape, inner);
            }
        });
    }

    private static void Flat(BinaryOp op, Tensor a, Tensor b, Tensor output)
    {
        int n = output.Numel;
        float* pa = a.Data, pb = b.Data, po = output.Data;
        Par.For(n, 1, (begin, end) =>
        {
            int len = end - begin;
            var x = new ReadOnlySpan<float>(pa + begin, len);
            var y = new ReadOnlySpan<float>(pb + begin, len);
            var z = new Span<float>(po + begin, len);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, y, z); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, z); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, z); break;
                default: TensorPrimitives.Divide(x, y, z); break;
            }
        });
    }

    private static void Row(BinaryOp op, float* a, int sa, float* b, int sb, float* o, int so, int n)
    {
        if (so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0))
        {
            var z = new Span<float>(o, n);
            if (sa == 1 && sb == 1)
            {
                var x = new ReadOnlySpan<float>(a, n);
                var y = new ReadOnlySpan<float>(b, n);
                switch (op)
                {
                    case BinaryOp.Add: TensorPrimitives.Add(x, y, z); break;
                    case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, z); break;
                    case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, z); break;
                    default: TensorPrimitives.Divide(x, y, z); break;
                }
                return;
            }
            if (sa == 1)
            {
                var x = new ReadOnlySpan<float>(a, n);
                switch (op)
                {
                    case BinaryOp.Add: TensorPrimitives.Add(x, *b, z); break;
                    case BinaryOp.Sub: TensorPrimitives.Subtract(x, *b, z); break;
                    case BinaryOp.Mul: TensorPrimitives.Multiply(x, *b, z); break;
                    default: TensorPrimitives.Divide(x, *b, z); break;
                }
                return;
            }
            if (sb == 1)
            {
                var y = new ReadOnlySpan<float>(b, n);
                switch (op)
                {
                    case BinaryOp.Add: TensorPrimitives.Add(y, *a, z); break;
                    case BinaryOp.Sub: TensorPrimitives.Subtract(*a, y, z); break;
                    case BinaryOp.Mul: TensorPrimitives.Multiply(y, *a, z); break;
                    default: TensorPrimitives.Divide(*a, y, z); break;
                }
                return;
            }
            // Both broadcast along the row (the gradient of a full sum): one value fills it.
            float v = *a, u = *b;
            z.Fill(op switch { BinaryOp.Add => v + u, BinaryOp.Sub => v - u, BinaryOp.Mul => v * u, _ => v / u });
            return;
        }
        for (int k = 0; k < n; k++)
        {
            float x = a[(long)k * sa], y = b[(long)k * sb];
            o[(long)k * so] = op switch
            {
                BinaryOp.Add => x + y,
                BinaryOp.Sub => x - y,
                BinaryOp.Mul => x * y,
                _ => x / y,
            };
        }
    }

    /// <summary>The multi-index of the o-th row, rows ordered as <see cref="StridedCopy.Increment"/> walks them.</summary>
    internal static void Unflatten(int row, Shape shape, int skip, Span<int> idx)
    {
        for (int a = shape.Rank - 1; a >= 0; a--)
        {
            if (a == skip) { idx[a] = 0; continue; }
            idx[a] = row % shape[a];
            row /= shape[a];
        }
    }
}
