using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// Slice with constant starts, ends and axes (attributes before opset 10, inputs from 10) and unit steps. Starts and
/// ends count from the back when negative and are clamped to the dim, as the spec says (INT64_MAX means "to the end").
/// </summary>
internal sealed class SliceOp : ImportedOp
{
    private readonly long[] _starts, _ends, _axes;

    public SliceOp(NodeProto node, OnnxAttributes a, OnnxBuild build) : base(node, a)
    {
        if (build.Opset < 10)
        {
            CheckArity(1, 1, 1);
            _starts = a.Ints("starts") ?? throw a.Bad("has no starts");
            _ends = a.Ints("ends") ?? throw a.Bad("has no ends");
            _axes = a.Ints("axes") ?? [.. Enumerable.Range(0, _starts.Length).Select(i => (long)i)];
        }
        else
        {
            CheckArity(3, 5, 1);
            _starts = build.Constant(node, 1, a);
            _ends = build.Constant(node, 2, a);
            _axes = build.OptionalConstant(node, 3, a) ?? [.. Enumerable.Range(0, _starts.Length).Select(i => (long)i)];
            if (build.OptionalConstant(node, 4, a) is { } steps && steps.Any(s => s != 1))
                throw a.Bad($"has steps [{string.Join(", ", steps)}]; only unit steps are imported");
        }
        if (_ends.Length != _starts.Length || _axes.Length != _starts.Length || _axes.Any(x => x is < -64 or > 64) || _axes.Distinct().Count() != _axes.Length)
            throw a.Bad($"has starts, ends and axes of {_starts.Length}, {_ends.Length} and {_axes.Length} values, or repeated axes");
    }

    public override string Mapping => $"slice axes [{string.Join(", ", _axes)}] from [{string.Join(", ", _starts)}] to [{string.Join(", ", _ends)}]";

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var y = In(values, 0);
        for (int i = 0; i < _axes.Length; i++)
        {
            int axis = y.Shape.Axis((int)_axes[i]), dim = y.Shape[axis];
            int start = Clamp(_starts[i], dim), end = Clamp(_ends[i], dim);
            y = F.Slice(y, axis, start, Math.Max(0, end - start));
        }
        return [y];
    }

    private static int Clamp(long index, int dim) => (int)Math.Clamp(index < 0 ? index + dim : index, 0, dim);
}
