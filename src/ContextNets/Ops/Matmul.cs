using ContextNets.Autograd;
using ContextNets.Backend;
using ContextNets.Backend.Dnnl;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Matrix product as torch.matmul for inputs of rank 2 or more: a [.., M, K]
    /// x b [.., K, N] -> [.., M, N], the batch dims broadcast (a missing dim or a
    /// dim of 1 stretches). The result is row-major.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        var outShape = MatMulShape(a, b);
        int rank = outShape.Rank;
        var y = Tensor.Empty(outShape);
        using (var ar = MatrixReady(a))
        using (var br = MatrixReady(b))
            DnnlMatmul.Run(MatOperand.Of(ar).PadTo(rank), MatOperand.Of(br).PadTo(rank), MatOperand.Of(y));
        if (!Tape.ShouldRecord(a, b)) return y;
        return Tape.Record(y, "matmul", [a, b], gy =>
        {
            using var g = MatrixReady(gy);
            Tensor? ga = null, gb = null;
            if (a.RequiresGrad)
            {
                // dA = dC B^T, summed over the batch dims where a was broadcast.
                using var br = MatrixReady(b);
                using var full = Tensor.Empty(outShape.With(-1, a.Shape[^1]));
                DnnlMatmul.Run(MatOperand.Of(g), MatOperand.Of(br).PadTo(rank).T(), MatOperand.Of(full));
                ga = SumTo(full, a.Shape);
            }
            if (b.RequiresGrad) gb = MatMulGradB(a, g, b.Shape, outShape);
            return [ga, gb];
        });
    }

    // dB = A^T dC. When b has no batch of its own, the batch folds into the rows of one GEMM instead of a sum afterwards.
    private static Tensor MatMulGradB(Tensor a, Tensor g, Shape bShape, Shape outShape)
    {
        int rank = outShape.Rank;
        using var ar = MatrixReady(a);
        if (bShape.Rank == 2 && ar.IsContiguous && g.IsContiguous && a.Shape.Numel / a.Shape[^1] == g.Numel / g.Shape[^1])
        {
            int rows = g.Numel / g.Shape[^1], k = a.Shape[^1], n = g.Shape[^1];
            var gb = Tensor.Empty(bShape);
            DnnlMatmul.Run(MatOperand.Matrix(ar, rows, k).T(), MatOperand.Matrix(g, rows, n), MatOperand.Of(gb));
            return gb;
        }
        using var full = Tensor.Empty(outShape.With(-2, a.Shape[^1]));
        DnnlMatmul.Run(MatOperand.Of(ar).PadTo(rank).T(), MatOperand.Of(g), MatOperand.Of(full));
        return SumTo(full, bShape);
    }

    /// <summary>
    /// y = x W^T + b as torch.nn.functional.linear: x [.., in], weight [out, in],
    /// bias [out]. The weight goes to oneDNN transposed by its strides and the
    /// bias is fused into the same call.
    /// </summary>
    public static unsafe Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (x.Rank < 1) throw new ArgumentException($"linear: input {x.Shape} needs at least one dimension.");
        if (weight.Rank != 2) throw new ArgumentException($"linear: weight {weight.Shape} must be [out, in].");
        int inF = weight.Shape[1], outF = weight.Shape[0];
        if (x.Shape[^1] != inF) throw new ArgumentException($"linear: input {x.Shape} has {x.Shape[^1]} features, weight {weight.Shape} expects {inF}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ArgumentException($"linear: bias {bias.Shape} must be [{outF}] for weight {weight.Shape}.");
        if (x.Numel == 0 || weight.Numel == 0) throw new ArgumentException($"linear: empty input {x.Shape} or weight {weight.Shape}.");
        int rows = x.Numel / inF;
        var y = Tensor.Empty(x.Shape.With(-1, outF));
        using (var xc = Materialize(x, MemoryFormat.Contiguous))
        using (var wc = Materialize(weight, MemoryFormat.Contiguous))
        {
            var wt = MatOperand.Matrix(wc, outF, inF).T();
            DnnlMatmul.Run(Rows(xc, rows), wt, Rows(y, rows), bias is null ? 0 : (nint)bias.Data);
        }
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        return Tape.Record(y, "linear", bias is null ? [x, weight] : [x, weight, bias], gy =>
        {
            using var g = Materialize(gy, MemoryFormat.Contiguous);
            Tensor? gx = null, gw = null, gb = null;
            if (x.RequiresGrad)
            {
                using var wc = Materialize(weight, MemoryFormat.Contiguous);
                gx = Tensor.Empty(x.Shape);
                DnnlMatmul.Run(Rows(g, rows), MatOperand.Of(wc), Rows(gx, rows));
            }
            if (weight.RequiresGrad)
            {
                using var xc = Materialize(x, MemoryFormat.Contiguous);
                gw = Tensor.Empty(weight.Shape);
                DnnlMatmul.Run(Rows(g, rows).T(), Rows(xc, rows), MatOperand.Of(gw));
            }
            if (bias?.RequiresGrad == true) gb = SumTo(g, bias.Shape);
            return [gx, gw, gb];
        });
    }

    /// <summary>A row-major tensor [.., f] seen as the matrix [rows, f].</summary>
    private static MatOperand Rows(Tensor t, int rows) => MatOperand.Matrix(t, rows, t.Shape[^1]);

    private static Shape MatMulShape(Tensor a, Tensor b)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"matmul: both inputs need rank 2 or more ([.., M, K] x [.., K, N]), got {a.Shape} and {b.Shape}.");
        if (a.Shape[^1] != b.Shape[^2])
            throw new ArgumentException($"matmul: inner dimensions differ: {a.Shape} x {b.Shape} ({a.Shape[^1]} vs {b.Shape[^2]}).");
        if (a.Numel == 0 || b.Numel == 0) throw new ArgumentException($"matmul: empty input {a.Shape} x {b.Shape}.");
        var batch = Backend.Managed.Broadcast.Shapes(new Shape(a.Shape.Dims[..^2]), new Shape(b.Shape.Dims[..^2]), $"matmul of {a.Shape} and {b.Shape}, batch dims");
        return new Shape([.. batch.Dims, a.Shape[^2], b.Shape[^1]]);
    }

    /// <summary>
    /// The tensor as oneDNN's GEMM kernels take it: one of the two matrix dims
    /// must be unit-stride (row-major or transposed). Anything else, such as a
    /// channels-last map read as [N, C][H, W], is copied to row-major first.
    /// </summary>
    private static Tensor MatrixReady(Tensor t)
    {
        var s = t.Strides;
        int r = t.Rank;
        bool unitInner = t.Shape[r - 1] == 1 || s[r - 1] == 1 || t.Shape[r - 2] == 1 || s[r - 2] == 1;
        return unitInner ? t.Alias() : Materialize(t, MemoryFormat.Contiguous);
    }
}
