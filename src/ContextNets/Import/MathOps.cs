using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>Relu, Sigmoid and Identity: one input, one output, no attributes that matter.</summary>
internal sealed class UnaryOp : ImportedOp
{
    private readonly Func<Tensor, Tensor> _f;

    public UnaryOp(NodeProto node, OnnxAttributes a, string mapping, Func<Tensor, Tensor> f) : base(node, a)
    {
        CheckArity(1, 1, 1);
        (Mapping, _f) = (mapping, f);
    }

    public override string Mapping { get; }

    public override Tensor[] Run(GraphValues values, bool training) => [_f(In(values, 0))];
}

/// <summary>Add, Sub, Mul and Div with NumPy broadcasting (opset 7 on; the older broadcast attribute is gone by opset 8).</summary>
internal sealed class BinaryOp : ImportedOp
{
    private readonly Func<Tensor, Tensor, Tensor> _f;

    public BinaryOp(NodeProto node, OnnxAttributes a, Func<Tensor, Tensor, Tensor> f) : base(node, a)
    {
        CheckArity(2, 2, 1);
        _f = f;
    }

    public override string Mapping => $"{Node.OpType.ToLowerInvariant()} (broadcast) of '{Node.Input[0]}' and '{Node.Input[1]}'";

    public override Tensor[] Run(GraphValues values, bool training) => [_f(In(values, 0), In(values, 1))];
}

/// <summary>
/// Softmax. From opset 13 it runs along one axis (default -1); before, the input is seen as a matrix split at
/// the axis (default 1) and each row is normalized over all the dims from the axis on.
/// </summary>
internal sealed class SoftmaxOp : ImportedOp
{
    private readonly int _axis;
    private readonly bool _rows;

    public SoftmaxOp(NodeProto node, OnnxAttributes a, int opset) : base(node, a)
    {
        CheckArity(1, 1, 1);
        _rows = opset < 13;
        _axis = a.Int("axis", _rows ? 1 : -1, -64, 64);
    }

    public override string Mapping => _rows ? $"softmax over the dims from {_axis} on (opset < 13)" : $"softmax along axis {_axis}";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        if (!_rows) return [F.Softmax(x, _axis)];
        int axis = x.Shape.Axis(_axis);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= x.Shape[i];
        var y = F.Softmax(F.Reshape(x, outer, -1), 1);
        return [F.Reshape(y, [.. x.Shape])];
    }
}

/// <summary>
/// Gemm: alpha * A' B' + beta * C, A' and B' optionally transposed. The common form (B transposed, alpha and beta
/// 1, C a vector) is a linear layer, run as one.
/// </summary>
internal sealed class GemmOp : ImportedOp
{
    private readonly float _alpha, _beta;
    private readonly bool _transA, _transB;

    public GemmOp(NodeProto node, OnnxAttributes a, int opset) : base(node, a)
    {
        CheckArity(opset < 11 ? 3 : 2, 3, 1);
        (_alpha, _beta) = (a.Float("alpha", 1f), a.Float("beta", 1f));
        (_transA, _transB) = (a.Int("transA", 0, 0, 1) == 1, a.Int("transB", 0, 0, 1) == 1);
        if (opset < 7) a.Require("broadcast", 1, "C must broadcast");
    }

    public override string Mapping =>
        $"gemm {(_transA ? "A^T" : "A")} {(_transB ? "B^T" : "B")} alpha {_alpha:G4} beta {_beta:G4}; B '{Node.Input[1]}'" +
        (Node.Input.Count > 2 && Node.Input[2].Length > 0 ? $", C '{Node.Input[2]}'" : "");

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var (a, b, c) = (In(values, 0), In(values, 1), Optional(values, 2));
        if (a.Rank != 2 || b.Rank != 2) throw new ArgumentException($"gemm expects matrices, got A {a.Shape} and B {b.Shape}.");
        if (!_transA && _transB && _alpha == 1 && _beta == 1 && (c is null || (c.Rank == 1 && c.Shape[0] == b.Shape[0])))
            return [F.Linear(a, b, c)];
        var y = F.MatMul(_transA ? F.Transpose(a, 0, 1) : a, _transB ? F.Transpose(b, 0, 1) : b);
        if (_alpha != 1) y = F.Mul(y, Tensor.Scalar(_alpha));
        if (c is null || _beta == 0) return [y];
        return [F.Add(y, _beta == 1 ? c : F.Mul(c, Tensor.Scalar(_beta)))];
    }
}

/// <summary>ReduceMean and ReduceSum: axes from the attribute, or (ReduceSum from opset 13) from a constant input.</summary>
internal sealed class ReduceOp : ImportedOp
{
    private readonly int[]? _axes;
    private readonly bool _keep, _mean;

    public ReduceOp(NodeProto node, OnnxAttributes a, OnnxBuild build, bool mean) : base(node, a)
    {
        bool axesInput = !mean && build.Opset >= 13;
        CheckArity(1, axesInput ? 2 : 1, 1);
        _mean = mean;
        _keep = a.Int("keepdims", 1, 0, 1) == 1;
        long[]? axes = axesInput && node.Input.Count > 1 && node.Input[1].Length > 0 ? build.Constant(node, 1, a) : a.Ints("axes");
        if (axesInput && axes is { Length: 0 }) axes = null;
        if (axes is not null && axes.Any(v => v < -64 || v > 64)) throw a.Bad($"has axes [{string.Join(", ", axes)}]");
        if (axes is null && a.Int("noop_with_empty_axes", 0, 0, 1) == 1) throw a.Bad("asks for noop_with_empty_axes");
        _axes = axes?.Select(v => (int)v).ToArray();
    }

    public override string Mapping => $"{(_mean ? "mean" : "sum")} over axes {(_axes is null ? "all" : $"[{string.Join(", ", _axes)}]")}{(_keep ? ", kept" : "")}";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        var axes = _axes?.Select(v => x.Shape.Axis(v)).ToArray();
        return [_mean ? F.Mean(x, axes, _keep) : F.Sum(x, axes, _keep)];
    }
}

/// <summary>MatMul of rank-2-or-more operands with broadcast batch dims, as torch.matmul.</summary>
internal sealed class MatMulOp : ImportedOp
{
    public MatMulOp(NodeProto node, OnnxAttributes a) : base(node, a) => CheckArity(2, 2, 1);

    public override string Mapping => $"matmul of '{Node.Input[0]}' and '{Node.Input[1]}'";

    public override Tensor[] Run(GraphValues values, bool training) => [F.MatMul(In(values, 0), In(values, 1))];
}

/// <summary>
/// LayerNormalization (opset 17): normalizes over the dims from the axis on, with scale and bias of those dims; run
/// as a layer norm over their product.
/// </summary>
internal sealed class LayerNormOp : ImportedOp
{
    private readonly int _axis;
    private readonly float _eps;

    public LayerNormOp(NodeProto node, OnnxAttributes a) : base(node, a)
    {
        CheckArity(2, 3, 1);
        _axis = a.Int("axis", -1, -64, 64);
        _eps = a.Float("epsilon", 1e-5f);
        if (!(_eps > 0)) throw a.Bad($"has epsilon {_eps}");
    }

    public override string Mapping => $"layer_norm over the dims from axis {_axis} on, eps {_eps:G4}; scale '{Node.Input[1]}'";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var (x, scale, bias) = (In(values, 0), In(values, 1), Optional(values, 2));
        int axis = x.Shape.Axis(_axis);
        int inner = 1;
        for (int i = axis; i < x.Rank; i++) inner *= x.Shape[i];
        foreach (var t in new[] { scale, bias })
            if (t is not null && t.Numel != inner) throw new ArgumentException($"layer_norm: {t.Shape} does not match the normalized dims of {x.Shape} from axis {axis}.");
        var y = F.LayerNorm(F.Reshape(x, -1, inner), Flat(scale), bias is null ? null : Flat(bias), _eps);
        return [F.Reshape(y, [.. x.Shape])];
    }

    private static Tensor Flat(Tensor t) => t.Rank == 1 ? t : F.Reshape(t, t.Numel);
}
