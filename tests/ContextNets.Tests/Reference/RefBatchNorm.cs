namespace ContextNets.Tests.Reference;

/// <summary>
/// Batch normalization of [N, C, H, W] (or [N, C, D, H, W]) per channel: training with the batch's statistics
/// (and the running-statistics update PyTorch does), evaluation with given ones.
/// </summary>
internal static class RefBatchNorm
{
    /// <summary>Mean and biased variance of each channel over N, H, W.</summary>
    public static (double[] mean, double[] var) BatchStats(RefTensor x)
    {
        int c = x.Shape[1];
        var mean = new double[c];
        var var = new double[c];
        int count = x.Length / c;
        foreach (var (i, ch) in Elements(x)) mean[ch] += x.Data[i] / count;
        foreach (var (i, ch) in Elements(x)) var[ch] += (x.Data[i] - mean[ch]) * (x.Data[i] - mean[ch]) / count;
        return (mean, var);
    }

    /// <summary>y = w * (x - mean) / sqrt(var + eps) + b, with the batch's statistics in training and the given ones otherwise.</summary>
    public static RefTensor Forward(RefTensor x, RefTensor w, RefTensor b, RefTensor runningMean, RefTensor runningVar, bool training, double eps)
    {
        var (mean, var) = training ? BatchStats(x) : (runningMean.Data, runningVar.Data);
        var y = new RefTensor(x.Shape);
        foreach (var (i, ch) in Elements(x))
            y.Data[i] = w.Data[ch] * (x.Data[i] - mean[ch]) / Math.Sqrt(var[ch] + eps) + b.Data[ch];
        return y;
    }

    public static (RefTensor gx, RefTensor gw, RefTensor gb) Backward(RefTensor x, RefTensor w, RefTensor runningMean, RefTensor runningVar, bool training, double eps, RefTensor gy)
    {
        int c = x.Shape[1], m = x.Length / c;
        var (mean, var) = training ? BatchStats(x) : (runningMean.Data, runningVar.Data);
        var gw = new RefTensor([c]);
        var gb = new RefTensor([c]);
        foreach (var (i, ch) in Elements(x))
        {
            gb.Data[ch] += gy.Data[i];
            gw.Data[ch] += gy.Data[i] * (x.Data[i] - mean[ch]) / Math.Sqrt(var[ch] + eps);
        }
        var gx = new RefTensor(x.Shape);
        foreach (var (i, ch) in Elements(x))
        {
            double rstd = 1 / Math.Sqrt(var[ch] + eps);
            if (!training) { gx.Data[i] = gy.Data[i] * w.Data[ch] * rstd; continue; }
            // The batch statistics depend on x too: dx = w*rstd/m * (m*dy - sum(dy) - xhat*sum(dy*xhat)).
            double xhat = (x.Data[i] - mean[ch]) * rstd;
            gx.Data[i] = w.Data[ch] * rstd / m * (m * gy.Data[i] - gb.Data[ch] - xhat * gw.Data[ch]);
        }
        return (gx, gw, gb);
    }

    /// <summary>PyTorch's update: running = (1 - momentum) * running + momentum * batch, with the unbiased variance.</summary>
    public static (RefTensor mean, RefTensor var) UpdateRunning(RefTensor x, RefTensor runningMean, RefTensor runningVar, double momentum)
    {
        int c = x.Shape[1], m = x.Length / c;
        var (mean, var) = BatchStats(x);
        var newMean = new RefTensor([c]);
        var newVar = new RefTensor([c]);
        for (int ch = 0; ch < c; ch++)
        {
            newMean.Data[ch] = (1 - momentum) * runningMean.Data[ch] + momentum * mean[ch];
            newVar.Data[ch] = (1 - momentum) * runningVar.Data[ch] + momentum * var[ch] * m / (m - 1);
        }
        return (newMean, newVar);
    }

    /// <summary>Every flat index of x with its channel.</summary>
    private static IEnumerable<(int index, int channel)> Elements(RefTensor x)
    {
        // Every dimension after the channels is a position: [N, C, H, W] maps and [N, C, D, H, W] clips alike.
        int c = x.Shape[1], positions = x.Length / x.Shape[0] / c;
        for (int i = 0; i < x.Length; i++) yield return (i, i / positions % c);
    }
}
