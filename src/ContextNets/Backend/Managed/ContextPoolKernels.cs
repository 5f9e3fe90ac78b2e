using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ContextNets.Backend.Dnnl;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Global context pooling and its broadcast fusion (the GC, SNL and SE
/// blocks) on channels-last x, where the C channels of one position lie
/// together. These blocks are memory-bound, so each kernel is one sweep over
/// the positions: the pooling folds the logits, the softmax and the weighted
/// sum into one pass (an online softmax), and the backward of the pooling
/// writes grad x, with the fusion's term, in one more.
/// A sample whose positions are split in parts keeps one partial state per
/// part, so that a batch smaller than the thread count still fills the threads.
/// </summary>
internal static unsafe class ContextPoolKernels
{
    private static readonly int Threads = Math.Max(1, ThreadSettings.Requested());

    /// <summary>Parts per sample: enough work items for every thread.</summary>
    private static int Parts(int n, int hw) => Math.Clamp((Threads + n - 1) / n, 1, hw);

    private static (int begin, int end) PartRange(int part, int parts, int hw) =>
        ((int)((long)hw * part / parts), (int)((long)hw * (part + 1) / parts));

    /// <summary>
    /// ctx[s] = sum_j a[s, j] x[s, j], with a = softmax_j(w . x_j + bias) written to
    /// <paramref name="weights"/> [n, hw]. x is [n, hw, c] (channels-last), ctx [n, c].
    /// </summary>
    public static void AttentionPool(float* x, int n, int hw, int c, float* w, float bias, float* ctx, float* weights)
    {
        int parts = Parts(n, hw);
        // Per item: the running max, the running sum of exp, then c accumulated channels.
        int stride = c + 2;
        using var state = Tensor.Empty([n * parts, stride]);
        float* st = state.Data;
        Par.For(n * parts, (long)hw / parts * c, (first, last) =>
        {
            var wv = new ReadOnlySpan<float>(w, c);
            for (int item = first; item < last; item++)
            {
                int s = item / parts;
                var (j0, j1) = PartRange(item % parts, parts, hw);
                float* my = st + (long)item * stride;
                var acc = new Span<float>(my + 2, c);
                acc.Clear();
                float max = float.NegativeInfinity, sum = 0f;
                for (int j = j0; j < j1; j++)
                {
                    var xj = new ReadOnlySpan<float>(x + ((long)s * hw + j) * c, c);
                    float logit = TensorPrimitives.Dot(xj, wv) + bias;
                    weights[(long)s * hw + j] = logit;
                    if (logit > max)
                    {
                        // A new maximum rescales what was summed so far, so that no exp ever exceeds 1.
                        float r = MathF.Exp(max - logit);
                        TensorPrimitives.Multiply(acc, r, acc);
                        sum *= r;
                        max = logit;
                    }
                    float e = MathF.Exp(logit - max);
                    sum += e;
                    TensorPrimitives.MultiplyAdd(xj, e, acc, acc);
                }
                my[0] = max;
                my[1] = sum;
            }
        });
        Par.For(n, (long)hw + (long)parts * c, (first, last) =>
        {
            for (int s = first; s < last; s++)
            {
                float* mine = st + (long)s * parts * stride;
                float max = float.NegativeInfinity, total = 0f;
                for (int p = 0; p < parts; p++) max = MathF.Max(max, mine[p * stride]);
                for (int p = 0; p < parts; p++) total += mine[p * stride + 1] * MathF.Exp(mine[p * stride] - max);
                var cs = new Span<float>(ctx + (long)s * c, c);
                cs.Clear();
                for (int p = 0; p < parts; p++)
                {
                    float* part = mine + p * stride;
                    // Parts that saw no position (max -inf) weigh 0.
                    float f = part[1] == 0f ? 0f : MathF.Exp(part[0] - max) / total;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(part + 2, c), f, cs, cs);
                }
                var a = new Span<float>(weights + (long)s * hw, hw);
                TensorPrimitives.Subtract(a, max, a);
                TensorPrimitives.Exp(a, a);
                TensorPrimitives.Multiply(a, 1f / total, a);
            }
        });
    }

    /// <summary>ctx[s] = the mean of x[s, j] over the hw positions. x is [n, hw, c], ctx [n, c].</summary>
    public static void MeanPool(float* x, int n, int hw, int c, float* ctx)
    {
        int parts = Parts(n, hw);
        using var state = Tensor.Empty([n * parts, c]);
        float* st = state.Data;
        Par.For(n * parts, (long)hw / parts * c, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                int s = item / parts;
                var (j0, j1) = PartRange(item % parts, parts, hw);
                var acc = new Span<float>(st + (long)item * c, c);
                acc.Clear();
                for (int j = j0; j < j1; j++) TensorPrimitives.Add(acc, new ReadOnlySpan<float>(x + ((long)s * hw + j) * c, c), acc);
            }
        });
        SumParts(st, n, parts, c, 1f / hw, ctx);
    }

    /// <summary>y[s, j] = x[s, j] * scale[s] + shift[s] (either may be null, meaning 1 and 0), over [n, hw, c].</summary>
    public static void Fuse(float* x, int n, int hw, int c, float* scale, float* shift, float* y)
    {
        Par.For(n * hw, c, (first, last) =>
        {
            for (int row = first; row < last; row++)
            {
                long s = row / hw;
                var xr = new ReadOnlySpan<float>(x + (long)row * c, c);
                var yr = new Span<float>(y + (long)row * c, c);
                if (scale == null) TensorPrimitives.Add(xr, new ReadOnlySpan<float>(shift + s * c, c), yr);
                else if (shift == null) TensorPrimitives.Multiply(xr, new ReadOnlySpan<float>(scale + s * c, c), yr);
                else TensorPrimitives.FusedMultiplyAdd(xr, new ReadOnlySpan<float>(scale + s * c, c), new ReadOnlySpan<float>(shift + s * c, c), yr);
            }
        });
    }

    /// <summary>
    /// The fusion's parameter gradients in one sweep: gradScale[s] = sum_j gy[s, j] * x[s, j]
    /// and gradShift[s] = sum_j gy[s, j] (either output may be null).
    /// </summary>
    public static void FuseBackward(float* x, float* gy, int n, int hw, int c, float* gradScale, float* gradShift)
    {
        int parts = Parts(n, hw);
        using var state = Tensor.Empty([2, n * parts, c]);
        float* accScale = state.Data, accShift = state.Data + (long)n * parts * c;
        Par.For(n * parts, (long)hw / parts * c, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                int s = item / parts;
                var (j0, j1) = PartRange(item % parts, parts, hw);
                var sc = new Span<float>(accScale + (long)item * c, c);
                var sh = new Span<float>(accShift + (long)item * c, c);
                sc.Clear();
                sh.Clear();
                for (int j = j0; j < j1; j++)
                {
                    long off = ((long)s * hw + j) * c;
                    var g = new ReadOnlySpan<float>(gy + off, c);
                    if (gradScale != null) TensorPrimitives.FusedMultiplyAdd(g, new ReadOnlySpan<float>(x + off, c), sc, sc);
                    if (gradShift != null) TensorPrimitives.Add(sh, g, sh);
                }
            }
        });
        if (gradScale != null) SumParts(accScale, n, parts, c, 1f, gradScale);
        if (gradShift != null) SumParts(accShift, n, parts, c, 1f, gradShift);
    }

    /// <summary>What the backward of the pooling reads and writes; null pointers are terms or outputs that do not apply.</summary>
    public struct PoolGrad
    {
        /// <summary>x [n, hw, c] channels-last, the gradient of the context [n, c], and the context itself [n, c].</summary>
        public float* X, GradCtx, Ctx;
        /// <summary>Attention pooling: the conv_attn weight [c] and the softmax weights [n, hw]; both null for the mean.</summary>
        public float* W, Weights;
        /// <summary>The fusion's term of grad x, gy * scale (scale null: gy alone); gy null when there is none.</summary>
        public float* FusionGrad, FusionScale;
        /// <summary>Outputs: grad x [n, hw, c], and for attention the gradient of the conv_attn weight [c].</summary>
        public float* GradX, GradW;
    }

    /// <summary>
    /// The backward of the pooling, in one sweep over the positions. With
    /// a_j the pooling weights and g the context's gradient:
    ///   dl_j = a_j (g . x_j - g . ctx)        (through the softmax; 0 for the mean)
    ///   gx_j = gy_j * scale + a_j g + dl_j w
    ///   gw = sum dl_j x_j.
    /// (The bias gradient, sum dl_j, is exactly 0: the softmax ignores a shift
    /// shared by all logits, and summing dl_j would only measure rounding.)
    /// </summary>
    public static void PoolBackward(in PoolGrad p, int n, int hw, int c)
    {
        var q = p;
        bool attention = q.W != null;
        bool weightGrad = attention && q.GradW != null;
        int parts = Parts(n, hw);
        using var state = Tensor.Empty([n * parts, c]);
        float* st = state.Data;
        Par.For(n * parts, (long)hw / parts * c * 2, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                int s = item / parts;
                var (j0, j1) = PartRange(item % parts, parts, hw);
                float* g = q.GradCtx + (long)s * c;
                float* scale = q.FusionScale == null ? null : q.FusionScale + (long)s * c;
                var gv = new ReadOnlySpan<float>(g, c);
                float gDotCtx = attention ? TensorPrimitives.Dot(gv, new ReadOnlySpan<float>(q.Ctx + (long)s * c, c)) : 0f;
                var dw = new Span<float>(st + (long)item * c, c);
                dw.Clear();
                for (int j = j0; j < j1; j++)
                {
                    long off = ((long)s * hw + j) * c;
                    float* xj = q.X + off;
                    float a = attention ? q.Weights[(long)s * hw + j] : 1f / hw;
                    float dl = attention ? a * (TensorPrimitives.Dot(gv, new ReadOnlySpan<float>(xj, c)) - gDotCtx) : 0f;
                    if (q.GradX != null) GradRow(q.GradX + off, q.FusionGrad == null ? null : q.FusionGrad + off, scale, g, a, q.W, dl, c);
                    if (weightGrad) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(xj, c), dl, dw, dw);
                }
            }
        });
        if (weightGrad) SumParts(st, 1, n * parts, c, 1f, q.GradW);
    }

    /// <summary>gx = gy * scale + a g + dl w, each term only where its operand is given.</summary>
    private static void GradRow(float* gx, float* gy, float* scale, float* g, float a, float* w, float dl, int c)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vdl = Vector512.Create(dl);
            for (; i <= c - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.Load(g + i) * va;
                if (w != null) v = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), vdl, v);
                if (gy != null) v = scale == null ? v + Vector512.Load(gy + i) : Vector512.FusedMultiplyAdd(Vector512.Load(gy + i), Vector512.Load(scale + i), v);
                v.Store(gx + i);
            }
        }
        for (; i < c; i++)
        {
            float v = g[i] * a;
            if (w != null) v += w[i] * dl;
            if (gy != null) v += scale == null ? gy[i] : gy[i] * scale[i];
            gx[i] = v;
        }
    }

    /// <summary>output[s] = factor * sum over the parts of sample s of the partial rows.</summary>
    private static void SumParts(float* partial, int n, int parts, int c, float factor, float* output)
    {
        for (int s = 0; s < n; s++)
        {
            var o = new Span<float>(output + (long)s * c, c);
            new ReadOnlySpan<float>(partial + (long)s * parts * c, c).CopyTo(o);
            for (int p = 1; p < parts; p++) TensorPrimitives.Add(o, new ReadOnlySpan<float>(partial + ((long)s * parts + p) * c, c), o);
            if (factor != 1f) TensorPrimitives.Multiply(o, factor, o);
        }
    }
}
