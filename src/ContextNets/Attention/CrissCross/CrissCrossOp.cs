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
internal static unsafe class CrissCrossOp
{
    /// <summary>
    /// y [N, C, H, W] for x [N, C, H, W]. With <paramref name="keepAttention"/>, the softmax weights come back in
    /// <paramref name="attention"/> [N, H, W, H + W] (slot a &lt; H: column key (a, j), slot H + b: row key (i, b)).
    /// </summary>
    public static Tensor Forward(Tensor x, Conv2d query, Conv2d key, Conv2d value, Tensor gamma, bool keepAttention, out Tensor? attention)
    {
        var g = Geometry(x, query, key, value, gamma);
        Tensor[] inputs = [x, query.Weight, query.Bias!, key.Weight, key.Bias!, value.Weight, value.Bias!, gamma];
        var saved = new Saved(g, F.Materialize(x, MemoryFormat.ChannelsLast), [query, key, value], gamma.Item());
        var y = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
        saved.Forward(y);
        attention = keepAttention ? saved.Attention() : null;
        if (!y.IsIn(Engine.ActivationFormat))
        {
            var moved = F.Materialize(y, Engine.ActivationFormat);
            y.Dispose();
            y = moved;
        }
        if (!Tape.ShouldRecord(inputs))
        {
            saved.Dispose();
            return y;
        }
        return Tape.Record(y, "criss_cross", inputs, gy =>
        {
            if (saved.IsDisposed)
                throw new InvalidOperationException($"criss_cross {x.Shape}: the forward's buffers are gone (freed by a first backward); run the forward again.");
            try
            {
                return saved.Backward(gy, inputs);
            }
            finally
            {
                saved.Dispose();
            }
        });
    }

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
            if (x.RequiresGrad || inputs[0].RequiresGrad)
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
