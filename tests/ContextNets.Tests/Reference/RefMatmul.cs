namespace ContextNets.Tests.Reference;

/// <summary>Batched, broadcasting matrix product and the linear layer, forward and backward, as triple loops.</summary>
internal static class RefMatmul
{
    public static RefTensor Forward(RefTensor a, RefTensor b)
    {
        var (batch, aBatch, bBatch, m, k, n) = Dims(a, b);
        var y = new RefTensor([.. batch, m, n]);
        int count = RefTensor.Numel(batch);
        for (int t = 0; t < count; t++)
        {
            int ia = RefElementwise.SourceIndex(t, batch, aBatch), ib = RefElementwise.SourceIndex(t, batch, bBatch);
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a.Data[(ia * m + i) * k + p] * b.Data[(ib * k + p) * n + j];
                y.Data[(t * m + i) * n + j] = s;
            }
        }
        return y;
    }

    /// <summary>Each batch of the output adds into the batch of a and b it was read from, which sums over broadcast dims.</summary>
    public static (RefTensor ga, RefTensor gb) Backward(RefTensor a, RefTensor b, RefTensor gy)
    {
        var (batch, aBatch, bBatch, m, k, n) = Dims(a, b);
        var ga = new RefTensor(a.Shape);
        var gb = new RefTensor(b.Shape);
        int count = RefTensor.Numel(batch);
        for (int t = 0; t < count; t++)
        {
            int ia = RefElementwise.SourceIndex(t, batch, aBatch), ib = RefElementwise.SourceIndex(t, batch, bBatch);
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double g = gy.Data[(t * m + i) * n + j];
                for (int p = 0; p < k; p++)
                {
                    ga.Data[(ia * m + i) * k + p] += g * b.Data[(ib * k + p) * n + j];
                    gb.Data[(ib * k + p) * n + j] += g * a.Data[(ia * m + i) * k + p];
                }
            }
        }
        return (ga, gb);
    }

    /// <summary>y[.., o] = sum_i x[.., i] w[o, i] + b[o].</summary>
    public static RefTensor Linear(RefTensor x, RefTensor w, RefTensor? b)
    {
        int outF = w.Shape[0], inF = w.Shape[1], rows = x.Length / inF;
        var y = new RefTensor([.. x.Shape[..^1], outF]);
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < outF; o++)
        {
            double s = b?.Data[o] ?? 0;
            for (int i = 0; i < inF; i++) s += x.Data[r * inF + i] * w[o, i];
            y.Data[r * outF + o] = s;
        }
        return y;
    }

    public static (RefTensor gx, RefTensor gw, RefTensor gb) LinearBackward(RefTensor x, RefTensor w, RefTensor gy)
    {
        int outF = w.Shape[0], inF = w.Shape[1], rows = x.Length / inF;
        var gx = new RefTensor(x.Shape);
        var gw = new RefTensor(w.Shape);
        var gb = new RefTensor([outF]);
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < outF; o++)
        {
            double g = gy.Data[r * outF + o];
            gb.Data[o] += g;
            for (int i = 0; i < inF; i++)
            {
                gx.Data[r * inF + i] += g * w[o, i];
                gw[o, i] += g * x.Data[r * inF + i];
            }
        }
        return (gx, gw, gb);
    }

    private static (int[] batch, int[] aBatch, int[] bBatch, int m, int k, int n) Dims(RefTensor a, RefTensor b)
    {
        int[] aBatch = a.Shape[..^2], bBatch = b.Shape[..^2];
        return (RefElementwise.BroadcastShape(aBatch, bBatch), aBatch, bBatch, a.Shape[^2], a.Shape[^1], b.Shape[^1]);
    }
}
