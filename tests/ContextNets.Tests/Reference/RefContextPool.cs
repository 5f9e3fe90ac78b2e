namespace ContextNets.Tests.Reference;

/// <summary>
/// Global context pooling and the broadcast fusion, forward and backward, on
/// row-major [N, C, H, W]: ctx[n, c] = sum_j a[n, j] x[n, c, j], with a the
/// softmax over positions of w . x_j + b (attention) or 1/HW (mean); and
/// y = x * scale + shift with scale and shift [N, C, 1, 1].
/// </summary>
internal static class RefContextPool
{
    /// <summary>The context [N, C, 1, 1] and, with a weight, the pooling weights [N, H*W].</summary>
    public static (RefTensor ctx, RefTensor? weights) Forward(RefTensor x, RefTensor? w, RefTensor? b)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var a = Weights(x, w, b);
        var ctx = new RefTensor([n, c, 1, 1]);
        for (int i = 0; i < n; i++)
        for (int k = 0; k < c; k++)
        for (int j = 0; j < hw; j++)
            ctx.Data[i * c + k] += a.Data[i * hw + j] * x.Data[(i * c + k) * hw + j];
        return (ctx, w is null ? null : a);
    }

    /// <summary>
    /// Through ctx = sum_j a_j x_j and a = softmax(l): dx_j = a_j g + dl_j w with
    /// dl_j = a_j (g . x_j - sum_k a_k g . x_k); dw = sum dl_j x_j; db = sum dl_j.
    /// </summary>
    public static (RefTensor gx, RefTensor? gw, RefTensor? gb) Backward(RefTensor x, RefTensor? w, RefTensor? b, RefTensor gctx)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var a = Weights(x, w, b);
        var gx = new RefTensor(x.Shape);
        var gw = w is null ? null : new RefTensor(w.Shape);
        var gb = w is null ? null : new RefTensor([1]);
        for (int i = 0; i < n; i++)
        {
            var ga = new double[hw];
            for (int j = 0; j < hw; j++)
            for (int k = 0; k < c; k++)
                ga[j] += gctx.Data[i * c + k] * x.Data[(i * c + k) * hw + j];
            double mean = 0;
            for (int j = 0; j < hw; j++) mean += a.Data[i * hw + j] * ga[j];
            for (int j = 0; j < hw; j++)
            {
                double aj = a.Data[i * hw + j];
                double dl = w is null ? 0 : aj * (ga[j] - mean);
                for (int k = 0; k < c; k++)
                {
                    int at = (i * c + k) * hw + j;
                    gx.Data[at] = aj * gctx.Data[i * c + k] + (w is null ? 0 : dl * w.Data[k]);
                    if (gw is not null) gw.Data[k] += dl * x.Data[at];
                }
                if (gb is not null) gb.Data[0] += dl;
            }
        }
        return (gx, gw, gb);
    }

    public static RefTensor Fuse(RefTensor x, RefTensor? scale, RefTensor? shift)
    {
        int nc = x.Shape[0] * x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var y = new RefTensor(x.Shape);
        for (int r = 0; r < nc; r++)
        for (int j = 0; j < hw; j++)
            y.Data[r * hw + j] = x.Data[r * hw + j] * (scale?.Data[r] ?? 1) + (shift?.Data[r] ?? 0);
        return y;
    }

    /// <summary>dx = gy * scale, dscale = sum_j gy x, dshift = sum_j gy.</summary>
    public static (RefTensor gx, RefTensor? gscale, RefTensor? gshift) FuseBackward(RefTensor x, RefTensor? scale, RefTensor? shift, RefTensor gy)
    {
        int nc = x.Shape[0] * x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var gx = new RefTensor(x.Shape);
        var gs = scale is null ? null : new RefTensor(scale.Shape);
        var gt = shift is null ? null : new RefTensor(shift.Shape);
        for (int r = 0; r < nc; r++)
        for (int j = 0; j < hw; j++)
        {
            int at = r * hw + j;
            gx.Data[at] = gy.Data[at] * (scale?.Data[r] ?? 1);
            if (gs is not null) gs.Data[r] += gy.Data[at] * x.Data[at];
            if (gt is not null) gt.Data[r] += gy.Data[at];
        }
        return (gx, gs, gt);
    }

    private static RefTensor Weights(RefTensor x, RefTensor? w, RefTensor? b)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var a = new RefTensor([n, hw]);
        for (int i = 0; i < n; i++)
        {
            if (w is null)
            {
                for (int j = 0; j < hw; j++) a.Data[i * hw + j] = 1.0 / hw;
                continue;
            }
            var logits = new double[hw];
            for (int j = 0; j < hw; j++)
            {
                logits[j] = b?.Data[0] ?? 0;
                for (int k = 0; k < c; k++) logits[j] += w.Data[k] * x.Data[(i * c + k) * hw + j];
            }
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            for (int j = 0; j < hw; j++) a.Data[i * hw + j] = Math.Exp(logits[j] - max) / sum;
        }
        return a;
    }
}
