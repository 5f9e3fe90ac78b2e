namespace ContextNets.Backend.Managed;

/// <summary>
/// The target distribution of one cross-entropy call: hard labels smoothed by
/// eps (PyTorch's (1 - eps) * onehot + eps / K), or given soft targets
/// [N, K] row-major.
/// </summary>
internal readonly unsafe struct CrossEntropyTarget(int[]? labels, float eps, float* soft)
{
    public double At(int row, int col, int k) =>
        soft != null ? soft[(long)row * k + col] : (col == labels![row] ? 1.0 - eps : 0.0) + (double)eps / k;
}

/// <summary>Cross-entropy over rows of row-major logits [N, K], with log-sum-exp taken in float64.</summary>
internal static unsafe class CrossEntropyKernels
{
    /// <summary>mean over rows of sum_k t_k (lse - x_k) = -sum_k t_k log softmax(x)_k.</summary>
    public static double Loss(float* x, int n, int k, CrossEntropyTarget target)
    {
        var rows = new double[n];
        Par.For(n, k, (begin, end) =>
        {
            for (int i = begin; i < end; i++)
            {
                float* row = x + (long)i * k;
                double lse = LogSumExp(row, k), s = 0;
                for (int j = 0; j < k; j++) s += target.At(i, j, k) * (lse - row[j]);
                rows[i] = s;
            }
        });
        double total = 0;
        foreach (double r in rows) total += r;
        return total / n;
    }

    /// <summary>gx = (softmax(x) - t) * scale; gt = (lse - x) * scale when asked for, -log softmax being the loss's slope in t.</summary>
    public static void Backward(float* x, int n, int k, CrossEntropyTarget target, float scale, float* gx, float* gt)
    {
        Par.For(n, k, (begin, end) =>
        {
            for (int i = begin; i < end; i++)
            {
                float* row = x + (long)i * k;
                double lse = LogSumExp(row, k);
                for (int j = 0; j < k; j++)
                {
                    long at = (long)i * k + j;
                    if (gx != null) gx[at] = (float)((Math.Exp(row[j] - lse) - target.At(i, j, k)) * scale);
                    if (gt != null) gt[at] = (float)((lse - row[j]) * scale);
                }
            }
        });
    }

    private static double LogSumExp(float* row, int k)
    {
        double max = double.NegativeInfinity, sum = 0;
        for (int j = 0; j < k; j++) max = Math.Max(max, row[j]);
        for (int j = 0; j < k; j++) sum += Math.Exp(row[j] - max);
        return max + Math.Log(sum);
    }
}
