namespace ContextNets.Import;

/// <summary>
/// ONNX's per-side pads for a sliding window (Conv, MaxPool, AveragePool), mapped onto ops that pad both sides
/// alike. A window's positions are set by the begin pad; the end pad only decides how many windows fit. So pads
/// (b, e) run as a symmetric pad of max(b, e) with the extra windows trimmed away: from the end when b > e, and
/// from the start when e > b and the stride divides e - b (the positions then line up). What cannot be mapped so
/// (or where the symmetric pad would exceed the op's limit) is padded explicitly with the op's neutral value first.
/// auto_pad SAME_UPPER / SAME_LOWER are resolved against the input size at run time. Temporaries stay in the caller's
/// scope, as in every module's forward: the tape may need them for backward.
/// </summary>
internal sealed class WindowPads
{
    private readonly int[] _pads;
    private readonly string _autoPad;

    public WindowPads(OnnxAttributes a)
    {
        _autoPad = a.String("auto_pad", "NOTSET");
        if (_autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER")) throw a.Bad($"has auto_pad '{_autoPad}'");
        _pads = a.Ints("pads", 4, 0, 1 << 16, [0, 0, 0, 0]);
        if (_autoPad != "NOTSET" && a.Has("pads") && _pads.Any(p => p != 0)) throw a.Bad($"has both auto_pad {_autoPad} and pads");
    }

    public override string ToString() => _autoPad == "NOTSET" ? $"pads [{string.Join(", ", _pads)}]" : $"auto_pad {_autoPad}";

    /// <summary>
    /// Runs <paramref name="op"/> (given a symmetric padding) so that its result is the window op with these pads.
    /// <paramref name="maxSymmetric"/> is the largest symmetric pad the op accepts; <paramref name="fill"/> the value
    /// of an explicit pad (null when the op has none, which then refuses that case). With <paramref name="ceilByPadding"/>,
    /// ceil mode is made by the op in floor mode over a longer end pad (of <paramref name="fill"/>), for an op that has none.
    /// </summary>
    public Tensor Apply(Tensor x, (int h, int w) span, (int h, int w) stride, bool ceil, (int h, int w) maxSymmetric, float? fill,
        Func<Tensor, (int h, int w), Tensor> op, bool ceilByPadding = false)
    {
        if (x.Rank != 4) throw new ArgumentException($"a 2-D window op expects input [N, C, H, W], got {x.Shape}.");
        var (bh, eh) = Resolve(0, x.Shape[2], span.h, stride.h);
        var (bw, ew) = Resolve(1, x.Shape[3], span.w, stride.w);
        if (ceil && ceilByPadding)
        {
            eh += CeilExtra(x.Shape[2], bh, eh, span.h, stride.h);
            ew += CeilExtra(x.Shape[3], bw, ew, span.w, stride.w);
            ceil = false;
        }
        var h = Plan(x.Shape[2], bh, eh, span.h, stride.h, ceil, maxSymmetric.h);
        var w = Plan(x.Shape[3], bw, ew, span.w, stride.w, ceil, maxSymmetric.w);
        if (h.Explicit || w.Explicit)
        {
            if (fill is not { } value) throw new NotSupportedException($"pads ({bh}, {eh}) x ({bw}, {ew}) cannot run as a symmetric pad here, and this op has no neutral value to pad with.");
            return op(Pad(x, bh, eh, bw, ew, value), (0, 0));
        }
        var y = op(x, (h.Symmetric, w.Symmetric));
        if (h.Skip == 0 && w.Skip == 0 && y.Shape[2] == h.Out && y.Shape[3] == w.Out) return y;
        return F.Slice(F.Slice(y, 2, h.Skip, h.Out), 3, w.Skip, w.Out);
    }

    private (int begin, int end) Resolve(int axis, int size, int span, int stride)
    {
        switch (_autoPad)
        {
            case "VALID":
                return (0, 0);
            case "NOTSET":
                return (_pads[axis], _pads[axis + 2]);
            default:
                int total = Math.Max(0, ((size + stride - 1) / stride - 1) * stride + span - size);
                int small = total / 2;
                return _autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
        }
    }

    /// <summary>How much longer the end pad must be for floor mode to give ceil mode's windows.</summary>
    private static int CeilExtra(int size, int begin, int end, int span, int stride)
    {
        int room = size + begin + end - span;
        if (room < 0) return 0;
        return Math.Max(0, (WindowCount(size, begin, room, stride, ceil: true) - 1) * stride + span - (size + begin + end));
    }

    /// <summary>
    /// The windows that fit in <paramref name="room"/> (the padded size less the window); ceil mode adds a last partial
    /// window unless it would start past the input, in the end pad (ONNX Runtime's rule and PyTorch's).
    /// </summary>
    private static int WindowCount(int size, int begin, int room, int stride, bool ceil)
    {
        if (!ceil) return room / stride + 1;
        int count = (room + stride - 1) / stride + 1;
        return (count - 1) * stride >= size + begin ? count - 1 : count;
    }

    private readonly record struct AxisPlan(int Symmetric, int Skip, int Out, bool Explicit);

    private static AxisPlan Plan(int size, int begin, int end, int span, int stride, bool ceil, int maxSymmetric)
    {
        int room = size + begin + end - span;
        if (room < 0) throw new ArgumentException($"the input's size {size} with pads ({begin}, {end}) is smaller than the window {span}.");
        int outSize = WindowCount(size, begin, room, stride, ceil);
        int p = Math.Max(begin, end);
        if (p > maxSymmetric) return new(0, 0, outSize, true);
        if (begin >= end) return new(p, 0, outSize, false);
        if ((end - begin) % stride == 0) return new(p, (end - begin) / stride, outSize, false);
        return new(0, 0, outSize, true);
    }

    private static Tensor Pad(Tensor x, int top, int bottom, int left, int right, float value)
    {
        if (top == 0 && bottom == 0) return Border(x, 3, left, right, value);
        if (left == 0 && right == 0) return Border(x, 2, top, bottom, value);
        return Border(Border(x, 2, top, bottom, value), 3, left, right, value);
    }

    // Concatenation with constant blocks: the gradient flows back to x through Cat, and nothing new is needed in Ops/.
    private static Tensor Border(Tensor x, int axis, int before, int after, float value)
    {
        var parts = new List<Tensor>();
        if (before > 0) parts.Add(Tensor.Full(x.Shape.With(axis, before), value));
        parts.Add(x);
        if (after > 0) parts.Add(Tensor.Full(x.Shape.With(axis, after), value));
        return F.Cat(parts, axis);
    }
}
