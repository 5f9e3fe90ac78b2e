using System.Runtime.CompilerServices;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// Global context pooling and its broadcast fusion (the GC, SNL and SE
/// blocks) on channels-last x, [n, hw, c] in memory, where the c channels of
/// one position lie together. These blocks are memory-bound, so each kernel
/// is one sweep over the positions: the pooling folds the logits, the softmax
/// and the weighted sum into one pass (an online softmax), and the backward
/// of the pooling writes grad x, with the fusion's term, in one more.
/// A sample whose positions are split in parts keeps one partial state per
/// part, so that a batch smaller than the thread count still fills the threads.
/// The per-item loops are compiled optimized at once: a kernel runs few times
/// but long, and would otherwise spend its first calls in unoptimized code.
/// </summary>
internal static unsafe class ContextPoolKernels
{
    private const MethodImplOptions Hot = MethodImplOptions.AggressiveOptimization;
    private static int Threads => Par.RequestedThreads();

    /// <summary>Parts per sample: enough work items for every thread.</summary>
    private static int Parts(int n, int hw) => Math.Clamp((Threads + n - 1) / n, 1, hw);

    /// <summary>The sample of a work item and its range of positions.</summary>
    private static (int s, int j0, int j1) Item(int item, int parts, int hw)
    {
        int part = item % parts;
        return (item / parts, (int)((long)hw * part / parts), (int)((long)hw * (part + 1) / parts));
    }

    /// <summary>
    /// ctx[s] = sum_j a[s, j] x[s, j], with a = softmax_j(w . x_j + bias) written to
    /// <paramref name="weights"/> [n, hw]; ctx is [n, c].
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
            for (int item = first; item < last; item++)
            {
                var (s, j0, j1) = Item(item, parts, hw);
                AttentionPart(x + (long)s * hw * c, j0, j1, c, w, bias, weights + (long)s * hw, st + (long)item * stride);
            }
        });
        Par.For(n, (long)hw + (long)parts * c, (first, last) =>
        {
            for (int s = first; s < last; s++) AttentionMerge(st + (long)s * parts * stride, parts, stride, c, ctx + (long)s * c, weights + (long)s * hw, hw);
        });
    }

    /// <summary>One part of a sample: raw logits into <paramref name="logits"/>, and (max, sum exp, sum exp * x) into the state.</summary>
    [MethodImpl(Hot)]
    private static void AttentionPart(float* x, int j0, int j1, int c, float* w, float bias, float* logits, float* state)
    {
        float* acc = state + 2;
        new Span<float>(acc, c).Clear();
        float max = float.NegativeInfinity, sum = 0f;
        for (int j = j0; j < j1; j++)
        {
            float* xj = x + (long)j * c;
            // Summed in float64: a float32 sum over the channels errs by several ulps of its partial sums, and a sharp
            // softmax passes that on to the weight gradient (1.7x the tolerance on tests' snl_sharp vector).
            float logit = (float)(VecOps.DotWide(xj, w, c) + bias);
            logits[j] = logit;
            if (logit > max)
            {
                // A new maximum rescales what was summed so far, so that no exp ever exceeds 1.
                float r = MathF.Exp(max - logit);
                VecOps.Scale(acc, r, c);
                sum *= r;
                max = logit;
            }
            float e = MathF.Exp(logit - max);
            sum += e;
            VecOps.Axpy(acc, e, xj, c);
        }
        state[0] = max;
        state[1] = sum;
    }

    /// <summary>Combines the parts of one sample into its context and turns its logits into the softmax.</summary>
    [MethodImpl(Hot)]
    private static void AttentionMerge(float* states, int parts, int stride, int c, float* ctx, float* weights, int hw)
    {
        float max = float.NegativeInfinity, total = 0f;
        for (int p = 0; p < parts; p++) max = MathF.Max(max, states[p * stride]);
        for (int p = 0; p < parts; p++) total += states[p * stride + 1] * MathF.Exp(states[p * stride] - max);
        new Span<float>(ctx, c).Clear();
        for (int p = 0; p < parts; p++) VecOps.Axpy(ctx, MathF.Exp(states[p * stride] - max) / total, states + p * stride + 2, c);
        float inv = 1f / total;
        for (int j = 0; j < hw; j++) weights[j] = MathF.Exp(weights[j] - max) * inv;
    }

    /// <summary>ctx[s] = the mean of x[s, j] over the hw positions; ctx is [n, c].</summary>
    public static void MeanPool(float* x, int n, int hw, int c, float* ctx)
    {
        int parts = Parts(n, hw);
        using var state = Tensor.Empty([n * parts, c]);
        float* st = state.Data;
        Par.For(n * parts, (long)hw / parts * c, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                var (s, j0, j1) = Item(item, parts, hw);
                SumPositions(x + (long)s * hw * c, null, j0, j1, c, st + (long)item * c, null);
            }
        });
        SumParts(st, n, parts, c, 1f / hw, ctx);
    }

    /// <summary>y[s, j] = x[s, j] * scale[s] + shift[s] (either may be null, meaning 1 and 0).</summary>
    public static void Fuse(float* x, int n, int hw, int c, float* scale, float* shift, float* y)
    {
        Par.For(n * hw, c, (first, last) => FuseRows(x, first, last, hw, c, scale, shift, y));
    }

    [MethodImpl(Hot)]
    private static void FuseRows(float* x, int first, int last, int hw, int c, float* scale, float* shift, float* y)
    {
        for (int row = first; row < last; row++)
        {
            long s = row / hw, off = (long)row * c;
            VecOps.MulAdd(y + off, x + off, scale == null ? null : scale + s * c, shift == null ? null : shift + s * c, c);
        }
    }

    /// <summary>
    /// The fusion's parameter gradients in one sweep: gradScale[s] = sum_j gy[s, j] * x[s, j]
    /// and gradShift[s] = sum_j gy[s, j] (either output may be null; x may be null without gradScale).
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
                var (s, j0, j1) = Item(item, parts, hw);
                long off = (long)s * hw * c;
                SumPositions(gy + off, gradScale == null ? null : x + off, j0, j1, c,
                    gradShift == null ? null : accShift + (long)item * c, gradScale == null ? null : accScale + (long)item * c);
            }
        });
        if (gradScale != null) SumParts(accScale, n, parts, c, 1f, gradScale);
        if (gradShift != null) SumParts(accShift, n, parts, c, 1f, gradShift);
    }

    /// <summary>sum[k] = sum_j v[j, k] and dot[k] = sum_j v[j, k] * x[j, k] over positions [j0, j1) (either output may be null).</summary>
    [MethodImpl(Hot)]
    private static void SumPositions(float* v, float* x, int j0, int j1, int c, float* sum, float* dot)
    {
        if (sum != null) new Span<float>(sum, c).Clear();
        if (dot != null) new Span<float>(dot, c).Clear();
        for (int j = j0; j < j1; j++)
        {
            long off = (long)j * c;
            if (sum != null) VecOps.Add(sum, v + off, c);
            if (dot != null) VecOps.Fma(dot, v + off, x + off, c);
        }
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
        bool weightGrad = q.W != null && q.GradW != null;
        int parts = Parts(n, hw);
        // The weight gradient sums terms that cancel over every position (the softmax backward): float64 partial sums.
        var state = weightGrad ? GC.AllocateArray<double>(n * parts * c, pinned: true) : null;
        fixed (double* st = state)
        {
            double* partial = st;
            Par.For(n * parts, (long)hw / parts * c * 2, (first, last) =>
            {
                for (int item = first; item < last; item++)
                {
                    var (s, j0, j1) = Item(item, parts, hw);
                    PoolBackwardPart(q, s, j0, j1, hw, c, partial == null ? null : partial + (long)item * c);
                }
            });
        }
        if (state is not null)
            for (int k = 0; k < c; k++)
            {
                double sum = 0;
                for (int item = 0; item < n * parts; item++) sum += state[(long)item * c + k];
                q.GradW[k] = (float)sum;
            }
    }

    [MethodImpl(Hot)]
    private static void PoolBackwardPart(in PoolGrad q, int s, int j0, int j1, int hw, int c, double* dw)
    {
        bool attention = q.W != null;
        float* g = q.GradCtx + (long)s * c;
        float* scale = q.FusionScale == null ? null : q.FusionScale + (long)s * c;
        // g . x_j - g . ctx cancels where one position holds most of the weight: both dots in float64.
        double gDotCtx = attention ? VecOps.DotWide(g, q.Ctx + (long)s * c, c) : 0;
        if (dw != null) new Span<double>(dw, c).Clear();
        for (int j = j0; j < j1; j++)
        {
            long off = ((long)s * hw + j) * c;
            float* xj = q.X + off;
            float a = attention ? q.Weights[(long)s * hw + j] : 1f / hw;
            double dl = attention ? a * (VecOps.DotWide(g, xj, c) - gDotCtx) : 0;
            if (q.GradX != null) VecOps.GradRow(q.GradX + off, q.FusionGrad == null ? null : q.FusionGrad + off, scale, g, a, q.W, (float)dl, c);
            if (dw != null) VecOps.AxpyWide(dw, dl, xj, c);
        }
    }

    /// <summary>output[s] = factor * the sum of the parts' rows of sample s.</summary>
    private static void SumParts(float* partial, int n, int parts, int c, float factor, float* output)
    {
        for (int s = 0; s < n; s++)
        {
            float* o = output + (long)s * c;
            new ReadOnlySpan<float>(partial + (long)s * parts * c, c).CopyTo(new Span<float>(o, c));
            for (int p = 1; p < parts; p++) VecOps.Add(o, partial + ((long)s * parts + p) * c, c);
            if (factor != 1f) VecOps.Scale(o, factor, c);
        }
    }
}
