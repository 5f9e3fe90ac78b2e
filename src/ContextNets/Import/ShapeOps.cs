using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>Flatten: [d0 .. d(axis-1)] and [d(axis) ..] each become one dim.</summary>
internal sealed class FlattenOp : ImportedOp
{
    private readonly int _axis;

    public FlattenOp(NodeProto node, OnnxAttributes a) : base(node, a)
    {
        CheckArity(1, 1, 1);
        _axis = a.Int("axis", 1, -64, 64);
    }

    public override string Mapping => $"flatten at axis {_axis}";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        int axis = _axis < 0 ? _axis + x.Rank : _axis;
        if (axis < 0 || axis > x.Rank) throw new ArgumentException($"flatten: axis {_axis} is outside {x.Shape}.");
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= x.Shape[i];
        return [F.Reshape(x, outer, outer == 0 ? 0 : x.Numel / outer)];
    }
}

/// <summary>Reshape to a constant shape: 0 copies the input's dim (unless allowzero), -1 is inferred.</summary>
internal sealed class ReshapeOp : ImportedOp
{
    private readonly long[] _shape;
    private readonly bool _allowZero;

    public ReshapeOp(NodeProto node, OnnxAttributes a, OnnxBuild build) : base(node, a)
    {
        CheckArity(2, 2, 1);
        _shape = build.Constant(node, 1, a);
        _allowZero = a.Int("allowzero", 0, 0, 1) == 1;
        if (_shape.Any(d => d < -1 || d > int.MaxValue) || _shape.Count(d => d == -1) > 1) throw a.Bad($"has the shape [{string.Join(", ", _shape)}]");
    }

    public override string Mapping => $"reshape to [{string.Join(", ", _shape)}]";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        var dims = new int[_shape.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (_shape[i] != 0 || _allowZero) dims[i] = (int)_shape[i];
            else if (i < x.Rank) dims[i] = x.Shape[i];
            else throw new ArgumentException($"reshape: dim {i} copies the input's, but {x.Shape} has none there.");
        }
        return [F.Reshape(x, dims)];
    }
}

/// <summary>Concat along an axis.</summary>
internal sealed class ConcatOp : ImportedOp
{
    private readonly int _axis;

    public ConcatOp(NodeProto node, OnnxAttributes a) : base(node, a)
    {
        CheckArity(1, int.MaxValue, 1);
        if (!a.Has("axis")) throw a.Bad("has no axis");
        _axis = a.Int("axis", 0, -64, 64);
    }

    public override string Mapping => $"cat of {Node.Input.Count} along axis {_axis}";

    public override Tensor[] Run(GraphValues values, bool training) =>
        [F.Cat([.. Enumerable.Range(0, Node.Input.Count).Select(i => In(values, i))], _axis)];
}

/// <summary>Split along an axis into given sizes (the attribute before opset 13, an input from 13) or equal parts.</summary>
internal sealed class SplitOp : ImportedOp
{
    private readonly int _axis;
    private readonly int[]? _sizes;

    public SplitOp(NodeProto node, OnnxAttributes a, OnnxBuild build) : base(node, a)
    {
        CheckArity(1, build.Opset >= 13 ? 2 : 1, node.Output.Count);
        _axis = a.Int("axis", 0, -64, 64);
        var sizes = build.Opset >= 13 ? build.OptionalConstant(node, 1, a) : a.Ints("split");
        if (sizes is not null && (sizes.Length != node.Output.Count || sizes.Any(s => s < 0 || s > int.MaxValue)))
            throw a.Bad($"splits into [{string.Join(", ", sizes)}] for {node.Output.Count} outputs");
        _sizes = sizes?.Select(s => (int)s).ToArray();
    }

    public override string Mapping => $"split along axis {_axis} into {(_sizes is null ? $"{Node.Output.Count} equal parts" : $"[{string.Join(", ", _sizes)}]")}";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        int axis = x.Shape.Axis(_axis), n = Node.Output.Count;
        if (_sizes is null && x.Shape[axis] % n != 0) throw new ArgumentException($"split: axis {_axis} of {x.Shape} does not divide into {n} equal parts.");
        return F.Split(x, _sizes ?? Enumerable.Repeat(x.Shape[axis] / n, n).ToArray(), axis);
    }
}

/// <summary>Transpose by a permutation (default: the dims reversed).</summary>
internal sealed class TransposeOp : ImportedOp
{
    private readonly int[]? _perm;

    public TransposeOp(NodeProto node, OnnxAttributes a) : base(node, a)
    {
        CheckArity(1, 1, 1);
        _perm = a.Ints("perm")?.Select(p => p is < 0 or > 64 ? throw a.Bad($"has perm value {p}") : (int)p).ToArray();
    }

    public override string Mapping => $"permute {(_perm is null ? "reversed" : $"[{string.Join(", ", _perm)}]")}";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var x = In(values, 0);
        return [F.Permute(x, _perm ?? [.. Enumerable.Range(0, x.Rank).Reverse()])];
    }
}
