using ContextNets.Tests.Reference;

namespace ContextNets.Tests.Attention.CrissCross;

/// <summary>
/// One criss-cross pass in float64 on row-major NCHW, written from the paper with plain loops (the oracle of the fast
/// kernels): for query (i, j), the logits q_ij . k over its column without itself and its whole row, one softmax over
/// them, aggregate = sum of softmax x v, y = gamma x aggregate + x, where q, k and v are 1x1 convs of x. Inputs are
/// x, the query conv's weight and bias, the key conv's, the value conv's, and gamma.
/// </summary>
internal static class RefCrissCross
{
    public static RefTensor Forward(RefTensor[] p) => Run(p, null).y;

    /// <summary>The gradients of sum(y x gy) with respect to every input.</summary>
    public static RefTensor[] Backward(RefTensor[] p, RefTensor gy) => Run(p, gy).grads!;

    /// <summary>The softmax weights [N, H, W, H + W] in the fast op's slot order (column slot i masked to 0).</summary>
    public static RefTensor Attention(RefTensor[] inputs)
    {
        var p = Projected(inputs);
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

    private static (RefTensor y, RefTensor[]? grads) Run(RefTensor[] inputs, RefTensor? gy)
    {
        var p = Projected(inputs);
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
        return (y, grads is null ? null : ThroughProjections(inputs, grads));
    }

    /// <summary>x, q, k, v, gamma from x, the three convs' weights and biases, and gamma.</summary>
    private static RefTensor[] Projected(RefTensor[] p) =>
        [p[0], Conv1x1(p[0], p[1], p[2]), Conv1x1(p[0], p[3], p[4]), Conv1x1(p[0], p[5], p[6]), p[7]];

    private static RefTensor Conv1x1(RefTensor x, RefTensor weight, RefTensor bias)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], o = weight.Shape[0];
        var y = new RefTensor([n, o, h, w]);
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < o; oc++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            double sum = bias.Data[oc];
            for (int ch = 0; ch < c; ch++) sum += weight.Data[oc * c + ch] * x[b, ch, i, j];
            y[b, oc, i, j] = sum;
        }
        return y;
    }

    /// <summary>From the gradients of x (residual), q, k, v and gamma to those of every input.</summary>
    private static RefTensor[] ThroughProjections(RefTensor[] p, RefTensor[] g)
    {
        var x = p[0];
        var gx = g[0];
        var result = new RefTensor[8];
        for (int m = 0; m < 3; m++)
        {
            var (weight, gOut) = (p[1 + 2 * m], g[1 + m]);
            var (gw, gb) = (new RefTensor(weight.Shape), new RefTensor([weight.Shape[0]]));
            int o = weight.Shape[0], c = x.Shape[1];
            for (int b = 0; b < x.Shape[0]; b++)
            for (int oc = 0; oc < o; oc++)
            for (int i = 0; i < x.Shape[2]; i++)
            for (int j = 0; j < x.Shape[3]; j++)
            {
                double go = gOut[b, oc, i, j];
                gb.Data[oc] += go;
                for (int ch = 0; ch < c; ch++)
                {
                    gw.Data[oc * c + ch] += go * x[b, ch, i, j];
                    gx.Data[x.Offset(b, ch, i, j)] += go * weight.Data[oc * c + ch];
                }
            }
            (result[1 + 2 * m], result[2 + 2 * m]) = (gw, gb);
        }
        result[0] = gx;
        result[7] = g[4];
        return result;
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
