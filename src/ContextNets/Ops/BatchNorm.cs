using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Batch normalization of x [N, C, H, W] per channel, as torch.nn.functional.batch_norm.
    /// Training normalizes with the batch's statistics and moves the running ones in place:
    /// running = (1 - momentum) * running + momentum * batch, with the unbiased variance.
    /// Evaluation normalizes with the running statistics. weight and bias may be null (no affine).
    /// The output is in the engine's activation layout.
    /// </summary>
    public static unsafe Tensor BatchNorm2d(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        CheckBatchNorm(x, weight, bias, runningMean, runningVar, training, eps);
        int c = x.Shape[1];
        // Copies, so that the backward sees what the forward used even if the parameters move in between.
        var scale = weight?.ToArray() ?? Enumerable.Repeat(1f, c).ToArray();
        var shift = bias?.ToArray() ?? new float[c];
        var mean = training ? new float[c] : runningMean!.ToArray();
        var variance = training ? new float[c] : runningVar!.ToArray();
        var y = Tensor.Empty(x.Shape, Engine.ActivationFormat);
        bool record = Tape.ShouldRecord(x, weight, bias);
        // Channels-last maps go to the managed kernels (see BatchNormKernels for why), others to oneDNN.
        bool managed = x.IsIn(MemoryFormat.ChannelsLast) && y.IsIn(MemoryFormat.ChannelsLast);
        int rows = x.Numel / c;
        if (managed)
        {
            if (training) BatchNormKernels.Statistics(x.Data, rows, c, mean, variance);
            var a = new float[c];
            var b = new float[c];
            for (int k = 0; k < c; k++)
            {
                a[k] = (float)(scale[k] / Math.Sqrt(variance[k] + (double)eps));
                b[k] = (float)(shift[k] - mean[k] * (double)a[k]);
            }
            BatchNormKernels.Affine(x.Data, y.Data, rows, c, a, b);
        }
        else
        {
            fixed (float* ps = scale, pb = shift, pm = mean, pv = variance)
                DnnlBatchNorm.Forward(x, y, ps, pb, pm, pv, eps, globalStats: !training, recording: record);
        }
        if (training && runningMean is not null) UpdateRunningStats(runningMean, runningVar!, mean, variance, momentum, x.Numel / c);
        if (!record) return y;
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Tape.Record(y, "batch_norm2d", [.. inputs], gy =>
        {
            var gx = Tensor.Empty(x.Shape, Engine.ActivationFormat);
            var dScale = new float[c];
            var dShift = new float[c];
            if (managed && gx.IsIn(MemoryFormat.ChannelsLast))
                ManagedBackward(x, gy, gx, scale, mean, variance, dScale, dShift, eps, training);
            else
                fixed (float* ps = scale, pb = shift, pm = mean, pv = variance, pds = dScale, pdb = dShift)
                    DnnlBatchNorm.Backward(x, gy, gx, ps, pb, pm, pv, pds, pdb, eps, globalStats: !training);
            var grads = new List<Tensor?> { x.RequiresGrad ? gx : null };
            if (!x.RequiresGrad) gx.Dispose();
            if (weight is not null) grads.Add(weight.RequiresGrad ? Tensor.FromArray(dScale, c) : null);
            if (bias is not null) grads.Add(bias.RequiresGrad ? Tensor.FromArray(dShift, c) : null);
            return [.. grads];
        });
    }

    /// <summary>The channels-last backward: d scale = sum(gy xhat), d shift = sum(gy), gx from <see cref="BackwardCoefficients"/>.</summary>
    private static unsafe void ManagedBackward(Tensor x, Tensor gy, Tensor gx, float[] scale, float[] mean, float[] variance,
        float[] dScale, float[] dShift, float eps, bool training)
    {
        int c = x.Shape[1], rows = x.Numel / c;
        using var g = Materialize(gy, MemoryFormat.ChannelsLast);
        var (sumGy, sumGyCentered) = BatchNormKernels.GradientSums(x.Data, g.Data, rows, c, mean);
        for (int k = 0; k < c; k++)
        {
            dShift[k] = (float)sumGy[k];
            dScale[k] = (float)(sumGyCentered[k] * (1.0 / Math.Sqrt(variance[k] + (double)eps)));
        }
        var (a, b, d) = BackwardCoefficients(sumGy, sumGyCentered, scale, mean, variance, eps, training, rows);
        BatchNormKernels.GradientApply(x.Data, g.Data, gx.Data, rows, c, a, b, d);
    }

    /// <summary>
    /// gx = a gy + b x + d per channel, from the sums of gy and gy (x - mean) over the <paramref name="count"/> values the
    /// statistics were taken over. With batch statistics, gx = scale / sigma (gy - mean(gy) - xhat mean(gy xhat)); with
    /// global ones, gx = scale / sigma gy.
    /// </summary>
    internal static (float[] a, float[] b, float[] d) BackwardCoefficients(double[] sumGy, double[] sumGyCentered, float[] scale,
        float[] mean, float[] variance, float eps, bool training, double count)
    {
        int c = scale.Length;
        var a = new float[c];
        var b = new float[c];
        var d = new float[c];
        for (int k = 0; k < c; k++)
        {
            double invStd = 1.0 / Math.Sqrt(variance[k] + (double)eps);
            double ak = scale[k] * invStd;
            a[k] = (float)ak;
            if (!training) continue;
            double bk = -ak * invStd * invStd * sumGyCentered[k] / count;
            b[k] = (float)bk;
            d[k] = (float)(-ak * sumGy[k] / count - bk * mean[k]);
        }
        return (a, b, d);
    }

    // PyTorch keeps the unbiased variance n/(n-1) * biased in running_var, and computes the update in double.
    internal static void UpdateRunningStats(Tensor runningMean, Tensor runningVar, float[] mean, float[] variance, float momentum, double count)
    {
        var rm = runningMean.Span;
        var rv = runningVar.Span;
        double unbias = (double)count / (count - 1);
        for (int i = 0; i < mean.Length; i++)
        {
            rm[i] = (float)((1.0 - momentum) * rm[i] + (double)momentum * mean[i]);
            rv[i] = (float)((1.0 - momentum) * rv[i] + (double)momentum * variance[i] * unbias);
        }
        runningMean.Touch();
        runningVar.Touch();
    }

    internal static void CheckBatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, float eps,
        string op = "batch_norm2d", int rank = 4)
    {
        if (x.Rank != rank) throw new ArgumentException($"{op} expects input {(rank == 5 ? "[N, C, D, H, W]" : "[N, C, H, W]")}, got {x.Shape}.");
        int c = x.Shape[1];
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias"), (runningMean, "running_mean"), (runningVar, "running_var") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != c))
                throw new ArgumentException($"{op}: {name} {t.Shape} must be [{c}] for input {x.Shape}.");
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException($"{op}: give both running_mean and running_var or neither (input {x.Shape}).");
        if (!training && runningMean is null)
            throw new ArgumentException($"{op}: evaluation mode needs running statistics (input {x.Shape}).");
        if (training && x.Numel / Math.Max(c, 1) < 2)
            throw new ArgumentException($"{op}: training needs more than one value per channel, input {x.Shape} has {x.Numel / Math.Max(c, 1)}.");
        if (!(eps > 0)) throw new ArgumentException($"{op}: eps must be positive, got {eps} (input {x.Shape}).");
    }
}
