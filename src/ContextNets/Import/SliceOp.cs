using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// Slice with constant starts, ends, axes and steps (attributes before opset 10, inputs from 10). Starts and ends count
/// from the back when negative and are clamped as the spec says: to [0, dim] for a positive step and to [-1, dim - 1]
/// for a negative one (INT64_MAX and INT64_MIN mean "to the end" either way).
/// </summary>
internal sealed class SliceOp : ImportedOp
{
    private readonly long[] _starts, _ends, _axes, _steps;

    public SliceOp(NodeProto node, OnnxAttributes a, OnnxBuild build) : base(node, a)
    {
        if (build.Opset < 10)
        {
            CheckArity(1, 1, 1);
            _starts = a.Ints("starts") ?? throw a.Bad("has no starts");
            _ends = a.Ints("ends") ?? throw a.Bad("has no ends");
            _axes = a.Ints("axes") ?? [.. Enumerable.Range(0, _starts.Length).Select(i => (long)i)];
            _steps = [.. _starts.Select(_ => 1L)];
        }
        else
        {
            CheckArity(3, 5, 1);
            _starts = build.Constant(node, 1, a);
            _ends = build.Constant(node, 2, a);
            _axes = build.OptionalConstant(node, 3, a) ?? [.. Enumerable.Range(0, _starts.Length).Select(i => (long)i)];
            _steps = build.OptionalConstant(node, 4, a) ?? [.. _starts.Select(_ => 1L)];
        }
        if (_ends.Length != _starts.Length || _axes.Length != _starts.Length || _steps.Length != _starts.Length || _axes.Any(x => x is < -64 or > 64) || _axes.Distinct().Count() != _axes.Length)
            throw a.Bad($"has starts, ends, axes and steps of {_starts.Length}, {_ends.Length}, {_axes.Length} and {_steps.Length} values, or repeated axes");
        if (_steps.Any(s => s == 0 || s is < int.MinValue or > int.MaxValue))
            throw a.Bad($"has steps [{string.Join(", ", _steps)}]; a step is a nonzero 32-bit integer");
    }

    public override string Mapping => $"slice axes [{string.Join(", ", _axes)}] from [{string.Join(", ", _starts)}] to [{string.Join(", ", _ends)}]"
        + (_steps.All(s => s == 1) ? "" : $" in steps of [{string.Join(", ", _steps)}]");

    public override Tensor[] Run(GraphValues values, bool training)
    {
        var y = In(values, 0);
        for (int i = 0; i < _axes.Length; i++)
        {
            int axis = y.Shape.Axis((int)_axes[i]), dim = y.Shape[axis];
            long step = _steps[i];
            if (dim == 0) continue;
            if (step > 0)
            {
                long start = Clamp(_starts[i], dim, 0, dim), end = Clamp(_ends[i], dim, 0, dim);
                y = F.Slice(y, axis, (int)start, (int)Count(end - start, step), (int)step);
            }
            else
            {
                long start = Clamp(_starts[i], dim, 0, dim - 1), end = Clamp(_ends[i], dim, -1, dim - 1);
                y = F.Slice(y, axis, (int)start, (int)Count(start - end, -step), (int)step);
            }
        }
        return [y];
    }

    /// <summary>An index counted from the back when negative, then clamped to [lo, hi].</summary>
    private static long Clamp(long index, int dim, long lo, long hi) => Math.Clamp(index < 0 ? index + dim : index, lo, hi);

    /// <summary>How many steps of <paramref name="step"/> fit strictly inside a span of <paramref name="span"/> elements.</summary>
    private static long Count(long span, long step) => span <= 0 ? 0 : (span + step - 1) / step;
}
