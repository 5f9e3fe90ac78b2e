using ContextNets.Backend.Reference;

namespace ContextNets.Tests.Attention.CrissCross;

/// <summary>
/// One criss-cross pass in float64 on row-major NCHW, written from the paper with plain loops (the oracle of the fast
/// kernels): for query (i, j), the logits q_ij . k over its column without itself and its whole row, one softmax over
/// them, aggregate = sum of softmax x v, y = gamma x aggregate + x. Inputs are x, q, k, v, gamma.
/// </summary>
internal static class RefCrissCross
{
    public static RefTensor Forward(RefTensor[] p) => Run(p, null).y;

    /// <summary>The gradients of sum(y x gy) with respect to x, q, k, v and gamma.</summary>
    public static RefTensor[] Backward(RefTensor[] p, RefTensor gy) => Run(p, gy).grads!;

    /// <summary>The softmax weights [N, H, W, H + W] in the fast op's slot order (column slot i masked to 0).</summary>
    public static RefTensor Attention(RefTensor[] p)
    {
        var (n, h, w, _, _) = Sizes(p);
        var a = new RefTensor([n, h, w, h + w]);
        for (int b = 0; b < n; b++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            var path = Path(h, w, i, j);
            var s = Softmax(p, b, i, j, path);
            for (int e = 0; e < path.Length; e++)
                a[b, i, j, path[e].column ? path[e].a : h + path[e].b] = s[e];
        }
        return a;
    }

    private static (RefTensor y, RefTensor[]? grads) Run(RefTensor[] p, RefTensor? gy)
    {
        var (x, q, k, v, gamma) = (p[0], p[1], p[2], p[3], p[4].Data[0]);
        var (n, h, w, cq, c) = Sizes(p);
        var y = x.Clone();
        var grads = gy is null ? null : new[] { gy.Clone(), new RefTensor(q.Shape), new RefTensor(k.Shape), new RefTensor(v.Shape), new RefTensor([1]) };
        for (int b = 0; b < n; b++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            var path = Path(h, w, i, j);
            var s = Softmax(p, b, i, j, path);
            var gs = new double[path.Length];
            for (int e = 0; e < path.Length; e++)
            for (int ch = 0; ch < c; ch++)
            {
                double value = v[b, ch, path[e].a, path[e].b];
                y[b, ch, i, j] += gamma * s[e] * value;
                if (grads is null) continue;
                double g = gy![b, ch, i, j];
                grads[4].Data[0] += g * s[e] * value;
                grads[3].Data[v.Offset(b, ch, path[e].a, path[e].b)] += gamma * s[e] * g;
                gs[e] += gamma * g * value;
            }
            if (grads is null) continue;
            double weighted = 0;
            for (int e = 0; e < path.Length; e++) weighted += s[e] * gs[e];
            for (int e = 0; e < path.Length; e++)
            {
                double gl = s[e] * (gs[e] - weighted);
                for (int ch = 0; ch < cq; ch++)
                {
                    grads[1].Data[q.Offset(b, ch, i, j)] += gl * k[b, ch, path[e].a, path[e].b];
                    grads[2].Data[k.Offset(b, ch, path[e].a, path[e].b)] += gl * q[b, ch, i, j];
                }
            }
        }
        return (y, grads);
    }

    /// <summary>The column without (i, j), then the whole row.</summary>
    private static (int a, int b, bool column)[] Path(int h, int w, int i, int j) =>
        [.. Enumerable.Range(0, h).Where(a => a != i).Select(a => (a, j, true)), .. Enumerable.Range(0, w).Select(b => (i, b, false))];

    private static double[] Softmax(RefTensor[] p, int b, int i, int j, (int a, int b, bool column)[] path)
    {
        var (q, k) = (p[1], p[2]);
        var logits = new double[path.Length];
        for (int e = 0; e < path.Length; e++)
            for (int ch = 0; ch < q.Shape[1]; ch++) logits[e] += q[b, ch, i, j] * k[b, ch, path[e].a, path[e].b];
        double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
        return Array.ConvertAll(logits, l => Math.Exp(l - max) / sum);
    }

    private static (int n, int h, int w, int cq, int c) Sizes(RefTensor[] p) =>
        (p[0].Shape[0], p[0].Shape[2], p[0].Shape[3], p[1].Shape[1], p[0].Shape[1]);
}
