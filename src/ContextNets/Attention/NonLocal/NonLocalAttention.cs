using System.Numerics.Tensors;
using ContextNets.Autograd;
using ContextNets.Backend;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// A non-local block up to its norm and residual, as one op with its own
/// backward: the channels-last map x [N, C, T*H, W] to o = W_z y + b
/// [N, C, T*H, W] with y_i = sum_j f(x_i, x_j) g(x_j), and the pairwise map
/// f [N, Np, Np'] it used.
///
/// Everything is positions-major, where a channels-last map is a row-major
/// matrix [positions, channels] and a 1x1 conv is one GEMM with no weight
/// reorder. theta, phi and g come from ONE GEMM against their stacked weights
/// into [positions, 2K + inner] (K = inner, or C in gaussian mode, where
/// theta = phi = x and the stacked weights hold two identity blocks). Pooling,
/// the pairwise products and their gradients then read and write column ranges
/// of that buffer through oneDNN matmul strides, so nothing is permuted or split
/// by copying.
///
/// In embedded gaussian mode the phi bias adds theta_i . b to every logit of
/// row i, which the softmax cancels (max pooling commutes with adding it):
/// it is left out of the forward and its gradient is exactly zero, where
/// summing float32 terms that cancel would leave round-off.
/// </summary>
internal sealed unsafe class NonLocalAttention : FusedOp
{
    private readonly Tensor _xm;
    private readonly NonLocalGeometry _geo;
    private readonly NonLocalParams _p;
    private readonly Action<Tensor>? _keepContext;
    private Saved? _saved;
    private Tensor? _output, _keptAttention;

    private NonLocalAttention(Tensor xm, NonLocalGeometry geo, NonLocalParams p, Action<Tensor>? keepContext) =>
        (_xm, _geo, _p, _keepContext) = (xm, geo, p, keepContext);

    public static (Tensor output, Tensor attention) Forward(Tensor xm, NonLocalGeometry geo, NonLocalParams p) => Forward(xm, geo, p, null);

    /// <summary>
    /// The block's o and f for the map <paramref name="xm"/>. When <paramref name="keepContext"/> is given, it is
    /// called with the context y = f g before W_z, as a channels-last map [N, inner, T*H, W] valid only during the
    /// call (for analysis).
    /// </summary>
    public static (Tensor output, Tensor attention) Forward(Tensor xm, NonLocalGeometry geo, NonLocalParams p, Action<Tensor>? keepContext)
    {
        var op = new NonLocalAttention(xm, geo, p, keepContext);
        var output = op.Apply([xm, .. p.Tensors()]);
        return (output, op._attention!);
    }

    private Tensor? _attention;

    public override string Name => "non_local";

    protected override Tensor Forward()
    {
        var layout = new Layout(_geo, _p);
        _saved = new Saved(layout, F.Materialize(_xm, MemoryFormat.ChannelsLast), _p);
        _attention = Tensor.Empty(new Shape(_geo.N, _geo.Positions, layout.Pooled));
        _output = Tensor.Empty(_geo.MapShape(_geo.C), MemoryFormat.ChannelsLast);
        _saved.Forward(_attention, _output);
        if (_keepContext is not null)
        {
            using var context = _saved.Context();
            _keepContext(context);
        }
        // The caller may free the map it gets before the backward runs; the backward reads it through its own alias.
        _keptAttention = _attention.Alias();
        return _output;
    }

    protected override void Release()
    {
        _saved!.Dispose();
        _keptAttention!.Dispose();
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        if (_saved!.IsDisposed)
            throw new InvalidOperationException($"non_local {_xm.Shape}: the forward's buffers are gone (freed by a first backward); run the forward again.");
        try
        {
            return _saved.Backward(gradOutput, _output!, _keptAttention!);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Sizes: K the theta/phi width, Width = 2K + inner the stacked projection, Pooled the keys per query.</summary>
    private readonly record struct Layout(NonLocalGeometry Geo, int K, int Inner, int Width, int Pooled, bool SubSample)
    {
        public Layout(NonLocalGeometry geo, NonLocalParams p)
            : this(geo, p.KeyWidth(geo.C), p.Inner, 2 * p.KeyWidth(geo.C) + p.Inner, geo.PooledPositions, geo.Kh * geo.Kw > 1) { }

        public int Rows => Geo.N * Geo.Positions;
        public FramePooling Pooling => new(Geo.N * Geo.T, Geo.H, Geo.W, Geo.Kh, Geo.Kw);
    }

    /// <summary>The forward's buffers, kept for the backward.</summary>
    private sealed class Saved : IDisposable
    {
        private readonly Layout _l;
        private readonly NonLocalParams _p;
        private readonly Tensor _x, _weights, _bias, _proj, _y;
        // Sub-sampling: the pooled [phi | g] and, per element, which window offset held its maximum.
        private readonly Tensor? _pooled, _argmax;
        // Set when the logits are too large for float32: the float64 twin of this block then owns the results.
        private NonLocalExact? _exact;

        public Saved(Layout l, Tensor x, NonLocalParams p)
        {
            _l = l;
            _p = p;
            _x = x;
            (_weights, _bias) = Stack(l, p);
            _proj = Tensor.Empty(new Shape(l.Rows, l.Width));
            _y = Tensor.Empty(new Shape(l.Rows, l.Inner));
            if (l.SubSample)
            {
                _pooled = Tensor.Empty(new Shape(l.Geo.N * l.Pooled, l.K + l.Inner));
                // int32 window offsets in float32-sized slots.
                _argmax = Tensor.Empty(_pooled.Shape);
            }
        }

        public bool IsDisposed => _proj.IsDisposed;

        /// <summary>y [N*Np, inner] seen as the channels-last map [N, inner, T*H, W] it is in memory.</summary>
        public Tensor Context()
        {
            var shape = _l.Geo.MapShape(_l.Inner);
            if (_exact is not null) return _exact.Context(shape, MemoryFormat.ChannelsLast);
            return _y.View(shape, Tensor.StridesFor(shape, MemoryFormat.ChannelsLast));
        }

        private Rows Proj => new(_proj.Data, _l.Width, _l.Width);
        private Rows Theta => Proj.Columns(0, _l.K);
        private Rows Phi => _pooled is null ? Proj.Columns(_l.K, _l.K) : new(_pooled.Data, _l.K + _l.Inner, _l.K);
        private Rows G => _pooled is null ? Proj.Columns(2 * _l.K, _l.Inner) : new(_pooled.Data + _l.K, _l.K + _l.Inner, _l.Inner);

        public void Forward(Tensor attention, Tensor output)
        {
            var geo = _l.Geo;
            int c = geo.C, keys = _l.Pooled, positions = geo.Positions, rows = _l.Rows;
            Kernels.Matmul(MatOperand.Matrix(_x, rows, c), MatOperand.Matrix(_weights, _l.Width, c).T(), MatOperand.Matrix(_proj, rows, _l.Width), (nint)_bias.Data);
            if (_pooled is not null)
                NonLocalKernels.MaxPool(Proj.Columns(_l.K, _l.K + _l.Inner), new Rows(_pooled.Data, _l.K + _l.Inner, _l.K + _l.Inner), (int*)_argmax!.Data, _l.Pooling);

            if (_p.Mode == Pairwise.Concatenation)
            {
                float* w = _p.ConcatWeight!.Data;
                NonLocalKernels.ConcatForward(Theta, Phi, w, w + _l.K, attention.Data, geo.N, positions, keys);
            }
            else
            {
                Kernels.Matmul(Batched(Theta, geo.N, positions), Batched(Phi, geo.N, keys).T(), MatOperand.Of(attention));
                if (_p.Mode == Pairwise.DotProduct) TensorPrimitives.Multiply(attention.Span, 1f / keys, attention.Span);
                // The float64 twin recomputes everything from x, so the float32 softmax it overwrites costs nothing extra.
                else if (NonLocalKernels.Softmax(attention.Data, geo.N * positions, keys, _p.LogitScale) > NonLocalPrecision.Float32Limit)
                {
                    _exact = new NonLocalExact(geo, _p, _l.K, _x, _weights, _bias, _l.SubSample ? _l.Pooling : null);
                    _exact.Forward(attention, output);
                    return;
                }
            }
            Kernels.Matmul(MatOperand.Of(attention), Batched(G, geo.N, keys), Batched(new Rows(_y.Data, _l.Inner, _l.Inner), geo.N, positions));
            using var wOut = F.Materialize(_p.OutWeight, MemoryFormat.Contiguous);
            Kernels.Matmul(MatOperand.Of(_y), MatOperand.Matrix(wOut, c, _l.Inner).T(), MatOperand.Matrix(output, rows, c),
                _p.OutBias is null ? 0 : (nint)_p.OutBias.Data);
        }

        public Tensor?[] Backward(Tensor go, Tensor output, Tensor attention)
        {
            var geo = _l.Geo;
            int n = geo.N, c = geo.C, positions = geo.Positions, keys = _l.Pooled, k = _l.K, inner = _l.Inner, rows = _l.Rows;
            using var goc = F.InLayoutOf(go, output);
            if (_exact is not null) return _exact.Backward(goc, _p);
            var gO = MatOperand.Matrix(goc, rows, c);

            // o = y W_z^T + b.
            using var wOut = F.Materialize(_p.OutWeight, MemoryFormat.Contiguous);
            var gWOut = Tensor.Empty(_p.OutWeight.Shape);
            Kernels.Matmul(gO.T(), MatOperand.Of(_y), MatOperand.Matrix(gWOut, c, inner));
            Tensor? gBOut = null;
            if (_p.OutBias is not null)
            {
                gBOut = Tensor.Empty(_p.OutBias.Shape);
                NonLocalKernels.ColumnSums(new Rows(goc.Data, c, c), rows, gBOut.Data);
            }
            using var gy = Tensor.Empty(_y.Shape);
            Kernels.Matmul(gO, MatOperand.Matrix(wOut, c, inner), MatOperand.Of(gy));
            var gY = Batched(new Rows(gy.Data, inner, inner), n, positions);

            using var gProj = Tensor.Empty(_proj.Shape);
            var gAll = new Rows(gProj.Data, _l.Width, _l.Width);
            using var gPooled = _pooled is null ? null : Tensor.Empty(_pooled.Shape);
            var gPhi = gPooled is null ? gAll.Columns(k, k) : new Rows(gPooled.Data, k + inner, k);
            var gG = gPooled is null ? gAll.Columns(2 * k, inner) : new Rows(gPooled.Data + k, k + inner, inner);

            // y = f g: the gradients of the pairwise map and of g.
            using var gf = Tensor.Empty(attention.Shape);
            Kernels.Matmul(gY, Batched(G, n, keys).T(), MatOperand.Of(gf));
            Kernels.Matmul(MatOperand.Of(attention).T(), gY, Batched(gG, n, keys));

            using var gConcat = _p.Mode == Pairwise.Concatenation ? Tensor.Empty(_p.ConcatWeight!.Shape) : null;
            if (gConcat is not null)
            {
                float* w = _p.ConcatWeight!.Data;
                NonLocalKernels.ConcatBackward(attention.Data, gf.Data, Theta, Phi, w, w + k, gAll.Columns(0, k), gPhi, gConcat.Data, gConcat.Data + k, n, positions, keys);
            }
            else
            {
                if (_p.Mode == Pairwise.DotProduct) TensorPrimitives.Multiply(gf.Span, 1f / keys, gf.Span);
                else NonLocalKernels.SoftmaxBackward(attention.Data, gf.Data, n * positions, keys, _p.LogitScale);
                Kernels.Matmul(MatOperand.Of(gf), Batched(Phi, n, keys), Batched(gAll.Columns(0, k), n, positions));
                Kernels.Matmul(MatOperand.Of(gf).T(), Batched(Theta, n, positions), Batched(gPhi, n, keys));
            }
            if (gPooled is not null)
                NonLocalKernels.MaxUnpool(new Rows(gPooled.Data, k + inner, k + inner), (int*)_argmax!.Data, gAll.Columns(k, k + inner), _l.Pooling);

            var gx = Tensor.Empty(_x.Shape, MemoryFormat.ChannelsLast);
            Kernels.Matmul(MatOperand.Matrix(gProj, rows, _l.Width), MatOperand.Matrix(_weights, _l.Width, c), MatOperand.Matrix(gx, rows, c));
            var grads = new List<Tensor?> { gx };
            grads.AddRange(ProjectionGrads(gAll, gConcat));
            grads.Add(gWOut);
            if (gBOut is not null) grads.Add(gBOut);
            return [.. grads];
        }

        // The stacked weight gradient is one GEMM, gProj^T x; gaussian mode skips the identity blocks.
        private List<Tensor?> ProjectionGrads(Rows gAll, Tensor? gConcat)
        {
            int c = _l.Geo.C, k = _l.K, inner = _l.Inner, rows = _l.Rows;
            int first = _p.Mode == Pairwise.Gaussian ? 2 * k : 0;
            var trained = gAll.Columns(first, _l.Width - first);
            using var gw = Tensor.Empty(new Shape(trained.Width, c));
            using var gb = Tensor.Empty(new Shape(trained.Width));
            Kernels.Matmul(new MatOperand([rows, trained.Width], [_l.Width, 1], (nint)trained.Ptr).T(), MatOperand.Matrix(_x, rows, c), MatOperand.Of(gw));
            NonLocalKernels.ColumnSums(trained, rows, gb.Data);
            if (_p.Mode == Pairwise.EmbeddedGaussian) new Span<float>(gb.Data + k, k).Clear();
            Tensor Weight(int row, int count) => gw.View(new Shape(count, c, 1, 1), [c, 1, 1, 1], (row - first) * c);
            Tensor Bias(int row, int count) => gb.View(new Shape(count), [1], row - first);
            var grads = new List<Tensor?> { Weight(2 * k, inner), Bias(2 * k, inner) };
            if (_p.Mode != Pairwise.Gaussian) grads.AddRange([Weight(0, k), Bias(0, k), Weight(k, k), Bias(k, k)]);
            if (gConcat is not null) grads.Add(gConcat.Alias());
            return grads;
        }

        /// <summary>[theta; phi; g] weights [Width, C] and biases, with identity blocks for gaussian mode's theta = phi = x.</summary>
        private static (Tensor weights, Tensor bias) Stack(Layout l, NonLocalParams p)
        {
            int c = l.Geo.C, k = l.K;
            var w = Tensor.Empty(new Shape(l.Width, c));
            var b = Tensor.Zeros(new Shape(l.Width));
            if (p.Mode == Pairwise.Gaussian)
            {
                w.Span[..(2 * k * c)].Clear();
                for (int i = 0; i < k; i++) w.Span[i * c + i] = w.Span[(k + i) * c + i] = 1f;
            }
            else
            {
                Put(p.ThetaWeight!, w, 0);
                Put(p.PhiWeight!, w, k * c);
                Put(p.ThetaBias!, b, 0);
                if (p.Mode != Pairwise.EmbeddedGaussian) Put(p.PhiBias!, b, k);
            }
            Put(p.GWeight, w, 2 * k * c);
            Put(p.GBias, b, 2 * k);
            return (w, b);
        }

        private static void Put(Tensor src, Tensor dst, int offset)
        {
            using var s = F.Materialize(src, MemoryFormat.Contiguous);
            s.Span.CopyTo(dst.Span[offset..]);
        }

        public void Dispose()
        {
            _x.Dispose();
            _weights.Dispose();
            _bias.Dispose();
            _proj.Dispose();
            _y.Dispose();
            _pooled?.Dispose();
            _argmax?.Dispose();
        }
    }

    /// <summary>Positions-major rows as a batch of [m, width] matrices, one per batch item.</summary>
    private static MatOperand Batched(Rows r, int batch, int m) =>
        new([batch, m, r.Width], [m * r.Ld, r.Ld, 1], (nint)r.Ptr);
}
