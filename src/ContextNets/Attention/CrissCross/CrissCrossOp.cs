using ContextNets.Autograd;
using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// One criss-cross pass, projections included, as one op with its own backward: q, k, v = the three 1x1 convs of x,
/// aggregate_u = the sum of v over the criss-cross path of u with one softmax over the logits q_u . k (see
/// <see cref="CrissCrossGeometry"/>), and y = gamma x aggregate + x. Inside, everything runs in float64 on
/// positions-major buffers (see <see cref="CrissCrossProjection"/> for why), and y and the gradients are rounded to
/// float32 once.
/// </summary>
internal sealed unsafe class CrissCrossOp(Tensor x, Conv2d query, Conv2d key, Conv2d value, Tensor gamma, bool keep) : FusedOp
{
    private readonly CrissCrossGeometry _g = Geometry(x, query, key, value, gamma);
    private Saved? _saved;

    public override string Name => "criss_cross";

    /// <summary>The tensors that may want a gradient, in the order of <see cref="Backward"/>'s gradients.</summary>
    public Tensor[] Inputs => [x, query.Weight, query.Bias!, key.Weight, key.Bias!, value.Weight, value.Bias!, gamma];

    /// <summary>
    /// With keep, after the forward: the softmax weights [N, H, W, H + W] (slot a &lt; H: column key (a, j), slot
    /// H + b: row key (i, b)), owned by the caller.
    /// </summary>
    public Tensor? Attention { get; private set; }

    /// <summary>With keep, after the forward: the aggregate before gamma, a channels-last map [N, C, H, W] owned by the caller.</summary>
    public Tensor? Aggregate { get; private set; }

    /// <summary>y [N, C, H, W] = gamma x aggregate + x for x [N, C, H, W].</summary>
    public Tensor Run() => Apply(Inputs);

    protected override Tensor Forward()
    {
        _saved = new Saved(_g, F.Materialize(x, MemoryFormat.ChannelsLast), [query, key, value], gamma.Item());
        var y = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
        _saved.Forward(y);
        if (keep) (Attention, Aggregate) = (_saved.Attention(), _saved.Aggregate());
        if (y.IsIn(Engine.ActivationFormat)) return y;
        var moved = F.Materialize(y, Engine.ActivationFormat);
        y.Dispose();
        return moved;
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        if (_saved is null || _saved.IsDisposed)
            throw new InvalidOperationException($"criss_cross {x.Shape}: the forward's buffers are gone (freed by a first backward); run the forward again.");
        try
        {
            return _saved.Backward(gradOutput, Inputs);
        }
        finally
        {
            _saved.Dispose();
        }
    }

    protected override void Release() => _saved?.Dispose();

    /// <summary>The forward's float64 buffers, kept for the backward.</summary>
    private sealed class Saved(CrissCrossGeometry g, Tensor x, Conv2d[] convs, double gamma) : IDisposable
    {
        private readonly Tensor _w = Stack(g, convs, c => c.Weight);
        private readonly Tensor _b = Stack(g, convs, c => c.Bias!);
        private readonly Tensor _proj = CrissCrossGeometry.Doubles(g.Positions * g.Projected);
        private readonly Tensor _attention = CrissCrossGeometry.Doubles(g.Positions * g.Path);
        private readonly Tensor _aggregate = CrissCrossGeometry.Doubles(g.Positions * g.C);

        public bool IsDisposed => _proj.IsDisposed;

        private static double* D(Tensor t) => (double*)t.Data;

        public void Forward(Tensor y)
        {
            CrissCrossProjection.Forward(g, x.Data, D(_w), D(_b), D(_proj));
            CrissCrossKernels.Forward(g, D(_proj), D(_attention), D(_aggregate));
            CrissCrossKernels.Residual(g, x.Data, D(_aggregate), gamma, y.Data);
        }

        public Tensor Aggregate()
        {
            var a = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
            for (long e = 0; e < a.Numel; e++) a.Data[e] = (float)D(_aggregate)[e];
            return a;
        }

        public Tensor Attention()
        {
            var a = Tensor.Empty(new Shape(g.N, g.H, g.W, g.Path));
            for (long e = 0; e < a.Numel; e++) a.Data[e] = (float)D(_attention)[e];
            return a;
        }

        /// <summary>Gradients for x, the three convs' weights and biases, and gamma.</summary>
        public Tensor?[] Backward(Tensor gy, Tensor[] inputs)
        {
            using var gys = F.Materialize(gy, MemoryFormat.ChannelsLast);
            using var gAggregate = CrissCrossGeometry.Doubles(g.Positions * g.C);
            using var gLogits = CrissCrossGeometry.Doubles(g.Positions * g.Path);
            using var gProj = CrissCrossGeometry.Doubles(g.Positions * g.Projected);
            var gammaRows = new double[g.Rows];
            CrissCrossKernels.QueryBackward(g, gys.Data, gamma, D(_proj), D(_attention), D(_aggregate), D(gAggregate), D(gLogits), D(gProj), gammaRows);
            CrissCrossKernels.KeyValueBackward(g, D(_proj), D(_attention), D(gAggregate), D(gLogits), D(gProj));

            Tensor? gx = null;
            if (inputs[0].RequiresGrad)
            {
                gx = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
                CrissCrossProjection.InputGrad(g, gys.Data, D(_w), D(gProj), gx.Data);
            }
            var grads = new Tensor?[inputs.Length];
            grads[0] = gx;
            if (inputs[1..7].Any(p => p.RequiresGrad))
            {
                using var gw = CrissCrossGeometry.Doubles((long)g.Projected * g.C);
                using var gb = CrissCrossGeometry.Doubles(g.Projected);
                CrissCrossProjection.WeightGrad(g, x.Data, D(gProj), D(gw), D(gb));
                int row = 0;
                for (int k = 0; k < 3; k++)
                {
                    int rows = k < 2 ? g.Cq : g.C;
                    grads[1 + 2 * k] = Rounded(D(gw) + (long)row * g.C, inputs[1 + 2 * k].Shape);
                    grads[2 + 2 * k] = Rounded(D(gb) + row, inputs[2 + 2 * k].Shape);
                    row += rows;
                }
            }
            double gammaGrad = 0;
            foreach (var part in gammaRows) gammaGrad += part;
            grads[7] = Tensor.Full(new Shape(1), (float)gammaGrad);
            return grads;
        }

        private static Tensor Rounded(double* src, Shape shape)
        {
            var t = Tensor.Empty(shape);
            for (long e = 0; e < t.Numel; e++) t.Data[e] = (float)src[e];
            return t;
        }

        /// <summary>One of the convs' parameters for each of q, k, v, stacked as float64 rows in that order.</summary>
        private static Tensor Stack(CrissCrossGeometry g, Conv2d[] convs, Func<Conv2d, Tensor> part)
        {
            var stacked = CrissCrossGeometry.Doubles(part(convs[0]).Shape.Rank == 1 ? g.Projected : (long)g.Projected * g.C);
            long at = 0;
            foreach (var conv in convs)
            {
                using var p = F.Materialize(part(conv), MemoryFormat.Contiguous);
                for (long e = 0; e < p.Numel; e++) D(stacked)[at++] = p.Data[e];
            }
            return stacked;
        }

        public void Dispose()
        {
            x.Dispose();
            _w.Dispose();
            _b.Dispose();
            _proj.Dispose();
            _attention.Dispose();
            _aggregate.Dispose();
        }
    }

    private static CrissCrossGeometry Geometry(Tensor x, Conv2d query, Conv2d key, Conv2d value, Tensor gamma)
    {
        if (x.Rank != 4 || x.Shape[2] * x.Shape[3] == 0 || x.Shape[1] == 0)
            throw new ArgumentException($"criss_cross: expected x [N, C, H, W] with positions and channels, got {x.Shape}.");
        int c = x.Shape[1], cq = query.OutChannels;
        foreach (var (conv, width, name) in new[] { (query, cq, "query"), (key, cq, "key"), (value, c, "value") })
            if (conv.KernelSize != 1 || conv.Groups != 1 || conv.Bias is null || conv.InChannels != c || conv.OutChannels != width)
                throw new ArgumentException($"criss_cross: the {name} projection must be a 1x1 conv with bias from {c} to {width} channels, " +
                                            $"not {conv.KernelSize}x{conv.KernelSize} from {conv.InChannels} to {conv.OutChannels}.");
        if (gamma.Shape != new Shape(1)) throw new ArgumentException($"criss_cross: gamma {gamma.Shape} must be [1].");
        return new CrissCrossGeometry(x.Shape[0], x.Shape[2], x.Shape[3], cq, c);
    }
}
