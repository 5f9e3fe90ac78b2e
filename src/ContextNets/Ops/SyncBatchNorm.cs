using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Batch normalization whose training statistics are those of the whole batch spread over <paramref name="replicas"/>
    /// (torch.nn.SyncBatchNorm): the forward sums each replica's count, mean and squared deviations, the backward sums
    /// the gradient's two per-channel sums, so the input gradient is that of one BatchNorm over the whole batch. The
    /// weight and bias gradients stay this replica's share, as the gradients of every other parameter do until they are
    /// averaged. In evaluation it is <see cref="BatchNorm2d"/> with the running statistics.
    /// </summary>
    public static unsafe Tensor SyncBatchNorm2d(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training,
        IReplicaSum replicas, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (!training) return BatchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps);
        CheckBatchNorm(x, weight, bias, runningMean, runningVar, training, eps);
        int c = x.Shape[1], rows = x.Numel / c;
        var scale = weight?.ToArray() ?? Enumerable.Repeat(1f, c).ToArray();
        var shift = bias?.ToArray() ?? new float[c];
        var xs = Materialize(x, MemoryFormat.ChannelsLast);
        var (mean, variance, count) = GlobalStatistics(xs, rows, c, replicas);
        var a = new float[c];
        var b = new float[c];
        for (int k = 0; k < c; k++)
        {
            a[k] = (float)(scale[k] / Math.Sqrt(variance[k] + (double)eps));
            b[k] = (float)(shift[k] - mean[k] * (double)a[k]);
        }
        var y = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
        BatchNormKernels.Affine(xs.Data, y.Data, rows, c, a, b);
        if (runningMean is not null) UpdateRunningStats(runningMean, runningVar!, mean, variance, momentum, count);
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Tape.Record(y, "sync_batch_norm2d", [.. inputs], gy =>
        {
            using var g = Materialize(gy, MemoryFormat.ChannelsLast);
            var (sumGy, sumGyCentered) = BatchNormKernels.GradientSums(xs.Data, g.Data, rows, c, mean);
            var grads = new List<Tensor?> { null };
            if (weight is not null) grads.Add(weight.RequiresGrad ? Tensor.FromArray(sumGyCentered.Select((s, k) => (float)(s * (1.0 / Math.Sqrt(variance[k] + (double)eps)))).ToArray(), c) : null);
            if (bias is not null) grads.Add(bias.RequiresGrad ? Tensor.FromArray(sumGy.Select(s => (float)s).ToArray(), c) : null);
            // The input gradient needs the sums over the whole batch; the parameters' gradients above are this replica's.
            var sums = new double[2 * c];
            sumGy.CopyTo(sums, 0);
            sumGyCentered.CopyTo(sums, c);
            replicas.SumInPlace(sums);
            var (ga, gb, gd) = BackwardCoefficients(sums[..c], sums[c..], scale, mean, variance, eps, training: true, count);
            if (x.RequiresGrad)
            {
                var gx = Tensor.Empty(x.Shape, MemoryFormat.ChannelsLast);
                BatchNormKernels.GradientApply(xs.Data, g.Data, gx.Data, rows, c, ga, gb, gd);
                grads[0] = gx;
            }
            return [.. grads];
        });
    }

    /// <summary>
    /// The mean and biased variance over every replica's values, combined as Chan et al. do: the global mean from each
    /// replica's count and mean, then the squared deviations M2_r + n_r (mean_r - mean)^2, which keeps the precision of
    /// each replica's two-pass statistics (no sum of squares minus a squared sum).
    /// </summary>
    private static unsafe (float[] mean, float[] variance, double count) GlobalStatistics(Tensor xs, int rows, int c, IReplicaSum replicas)
    {
        var localMean = new float[c];
        var localVariance = new float[c];
        BatchNormKernels.Statistics(xs.Data, rows, c, localMean, localVariance);
        var sums = new double[c + 1];
        for (int k = 0; k < c; k++) sums[k] = (double)rows * localMean[k];
        sums[c] = rows;
        replicas.SumInPlace(sums);
        double count = sums[c];
        var mean = new float[c];
        for (int k = 0; k < c; k++) mean[k] = (float)(sums[k] / count);
        var squares = new double[c];
        for (int k = 0; k < c; k++)
        {
            double shift = (double)localMean[k] - mean[k];
            squares[k] = rows * ((double)localVariance[k] + shift * shift);
        }
        replicas.SumInPlace(squares);
        var variance = new float[c];
        for (int k = 0; k < c; k++) variance[k] = (float)(squares[k] / count);
        return (mean, variance, count);
    }
}
