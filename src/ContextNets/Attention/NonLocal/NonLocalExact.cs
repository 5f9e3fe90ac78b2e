using System.Numerics.Tensors;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// The softmax modes of the non-local block computed in float64 from the float32 input and weights, for inputs whose
/// logits are too large for float32 (see <see cref="NonLocalPrecision"/>). It follows the float32 path step by step,
/// with every GEMM in <see cref="DoubleGemm"/>, and rounds only what leaves it: o, f and the gradients. The buffers it
/// keeps for the backward are managed arrays, freed with the op.
/// </summary>
internal sealed unsafe class NonLocalExact
{
    private readonly NonLocalGeometry _geo;
    private readonly int _k, _inner, _width, _keys;
    private readonly double _scale;
    private readonly bool _zeroPhiBias;
    private readonly FramePooling? _pooling;
    private readonly double[] _x, _weights, _wOut, _proj, _a, _y;
    private readonly double[]? _pooled;
    private readonly long[]? _from;
    private readonly double[] _bias, _outBias;

    // x: the input as positions-major rows [N*Np, C]; weights and bias: the stacked [theta; phi; g] weights
    // [2K + inner, C] and their bias, as the float32 path builds them; pooling: the sub-sampling, if any.
    public NonLocalExact(NonLocalGeometry geo, NonLocalParams p, int k, Tensor x, Tensor weights, Tensor bias, FramePooling? pooling)
    {
        (_geo, _k, _inner, _width, _keys, _pooling) = (geo, k, p.Inner, 2 * k + p.Inner, geo.PooledPositions, pooling);
        _scale = p.Mode == Pairwise.EmbeddedGaussian && p.UseScale ? 1.0 / Math.Sqrt(p.Inner) : 1.0;
        _zeroPhiBias = p.Mode == Pairwise.EmbeddedGaussian;
        int rows = geo.N * geo.Positions;
        _x = Wide(x);
        _weights = Wide(weights);
        _bias = Wide(bias);
        using (var wOut = F.Materialize(p.OutWeight, MemoryFormat.Contiguous)) _wOut = Wide(wOut);
        using (var outBias = p.OutBias is null ? null : F.Materialize(p.OutBias, MemoryFormat.Contiguous))
            _outBias = outBias is null ? new double[geo.C] : Wide(outBias);
        _proj = Buffer((long)rows * _width);
        _a = Buffer((long)geo.N * geo.Positions * _keys);
        _y = Buffer((long)rows * _inner);
        if (pooling is not null)
        {
            _pooled = Buffer((long)geo.N * _keys * (k + _inner));
            _from = new long[_pooled.Length];
        }
    }

    private int Rows => _geo.N * _geo.Positions;

    public void Forward(Tensor attention, Tensor output)
    {
        int c = _geo.C, rows = Rows;
        fixed (double* x = _x, w = _weights, proj = _proj, a = _a, y = _y, wOut = _wOut, pooled = _pooled)
        {
            DoubleGemm.Multiply(DoubleMat.Of(x, rows, c, c), DoubleMat.Of(w, _width, c, c).T(), DoubleMat.Of(proj, rows, _width, _width));
            AddRowVector(proj, rows, _width, _bias);
            if (_pooling is { } g) NonLocalExactKernels.MaxPool(proj + _k, _width, pooled, _k + _inner, _k + _inner, _from!, g);
            DoubleGemm.Multiply(Theta(proj), Phi(proj, pooled).T(), Square(a));
            NonLocalExactKernels.Softmax(a, _geo.N * _geo.Positions, _keys, _scale);
            DoubleGemm.Multiply(Square(a), G(proj, pooled), Batched(y, _inner, _inner));
            var o = new double[(long)rows * c];
            fixed (double* op = o)
            {
                DoubleGemm.Multiply(DoubleMat.Of(y, rows, _inner, _inner), DoubleMat.Of(wOut, c, _inner, _inner).T(), DoubleMat.Of(op, rows, c, c));
                AddRowVector(op, rows, c, _outBias);
            }
            Round(o, output.Span);
            Round(_a, attention.Span);
        }
    }

    /// <summary>The context y [N*Np, inner], rounded to float32, in a new tensor of the given shape and strides.</summary>
    public Tensor Context(Shape shape, MemoryFormat format)
    {
        var t = Tensor.Empty(shape, format);
        Round(_y, t.Span);
        return t;
    }

    /// <summary>The gradients in the float32 path's order: x, then g, theta, phi (weight, bias), then conv_out's.</summary>
    public Tensor?[] Backward(Tensor goc, NonLocalParams p)
    {
        int c = _geo.C, rows = Rows, k = _k, inner = _inner, n = _geo.N, positions = _geo.Positions;
        var gO = Wide(goc);
        var gy = Buffer((long)rows * inner);
        var gProj = Buffer((long)rows * _width);
        var gPooled = _pooled is null ? null : Buffer(_pooled.Length);
        var gf = Buffer(_a.Length);
        var gx = new double[(long)rows * c];
        var gw = new double[(long)_width * c];
        var gWOut = new double[(long)c * inner];
        fixed (double* go = gO, y = _y, wOut = _wOut, gyp = gy, gp = gProj, gq = gPooled, gfp = gf, a = _a, proj = _proj, pooled = _pooled,
               x = _x, w = _weights, gxp = gx, gwp = gw, gwo = gWOut)
        {
            DoubleGemm.Multiply(DoubleMat.Of(go, rows, c, c).T(), DoubleMat.Of(y, rows, inner, inner), DoubleMat.Of(gwo, c, inner, inner));
            DoubleGemm.Multiply(DoubleMat.Of(go, rows, c, c), DoubleMat.Of(wOut, c, inner, inner), DoubleMat.Of(gyp, rows, inner, inner));
            var gY = Batched(gyp, inner, inner);
            DoubleGemm.Multiply(gY, G(proj, pooled).T(), Square(gfp));
            DoubleGemm.Multiply(Square(a).T(), gY, G(gp, gq));
            NonLocalExactKernels.SoftmaxBackward(a, gfp, n * positions, _keys, _scale);
            DoubleGemm.Multiply(Square(gfp), Phi(proj, pooled), Theta(gp));
            DoubleGemm.Multiply(Square(gfp).T(), Theta(proj), Phi(gp, gq));
            if (_pooling is not null) NonLocalExactKernels.MaxUnpool(gq, _k + _inner, gp + k, _width, _k + _inner, _from!, rows);
            DoubleGemm.Multiply(DoubleMat.Of(gp, rows, _width, _width), DoubleMat.Of(w, _width, c, c), DoubleMat.Of(gxp, rows, c, c));
            DoubleGemm.Multiply(DoubleMat.Of(gp, rows, _width, _width).T(), DoubleMat.Of(x, rows, c, c), DoubleMat.Of(gwp, _width, c, c));
        }
        var gb = NonLocalExactKernels.ColumnSums(gProj, rows, _width);
        if (_zeroPhiBias) Array.Clear(gb, k, k);
        var grads = new List<Tensor?> { Narrow(gx, _geo.MapShape(c), MemoryFormat.ChannelsLast) };
        grads.Add(Narrow(gw.AsSpan(2 * k * c, inner * c), p.GWeight.Shape));
        grads.Add(Narrow(gb.AsSpan(2 * k, inner), p.GBias.Shape));
        if (p.Mode != Pairwise.Gaussian)
            grads.AddRange([Narrow(gw.AsSpan(0, k * c), p.ThetaWeight!.Shape), Narrow(gb.AsSpan(0, k), p.ThetaBias!.Shape),
                Narrow(gw.AsSpan(k * c, k * c), p.PhiWeight!.Shape), Narrow(gb.AsSpan(k, k), p.PhiBias!.Shape)]);
        grads.Add(Narrow(gWOut, p.OutWeight.Shape));
        if (p.OutBias is not null) grads.Add(Narrow(NonLocalExactKernels.ColumnSums(gO, rows, c), p.OutBias.Shape));
        return [.. grads];
    }

    // The views of a stacked [rows, Width] buffer (and of the pooled [phi | g] one) as batched matrices, one per item.
    private DoubleMat Theta(double* proj) => Batched(proj, _k, _width);
    private DoubleMat Phi(double* proj, double* pooled) =>
        pooled is null ? Batched(proj + _k, _k, _width) : DoubleMat.Batched(pooled, _geo.N, _keys, _k, _k + _inner, (long)_keys * (_k + _inner));
    private DoubleMat G(double* proj, double* pooled) =>
        pooled is null ? Batched(proj + 2 * _k, _inner, _width) : DoubleMat.Batched(pooled + _k, _geo.N, _keys, _inner, _k + _inner, (long)_keys * (_k + _inner));
    private DoubleMat Batched(double* rows, int width, int ld) => DoubleMat.Batched(rows, _geo.N, _geo.Positions, width, ld, (long)_geo.Positions * ld);
    private DoubleMat Square(double* f) => DoubleMat.Batched(f, _geo.N, _geo.Positions, _keys, _keys, (long)_geo.Positions * _keys);

    private static void AddRowVector(double* m, int rows, int width, double[] v)
    {
        for (long r = 0; r < rows; r++) TensorPrimitives.Add(new ReadOnlySpan<double>(m + r * width, width), v, new Span<double>(m + r * width, width));
    }

    private static double[] Buffer(long length) => GC.AllocateUninitializedArray<double>(checked((int)length), pinned: true);

    // A dense tensor's values in memory order (a channels-last map is the positions-major rows).
    private static double[] Wide(Tensor t)
    {
        var d = Buffer(t.Numel);
        var s = t.Span;
        for (int i = 0; i < d.Length; i++) d[i] = s[i];
        return d;
    }

    private static void Round(ReadOnlySpan<double> values, Span<float> dst)
    {
        for (int i = 0; i < values.Length; i++) dst[i] = (float)values[i];
    }

    private static Tensor Narrow(ReadOnlySpan<double> values, Shape shape, MemoryFormat format = MemoryFormat.Contiguous)
    {
        var t = Tensor.Empty(shape, format);
        Round(values, t.Span);
        return t;
    }
}
