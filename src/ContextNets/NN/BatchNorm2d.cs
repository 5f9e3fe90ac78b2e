namespace ContextNets.NN;

/// <summary>torch.nn.BatchNorm2d (and SyncBatchNorm, with <see cref="Replicas"/>): `weight`, `bias`, and the buffers `running_mean`, `running_var`.</summary>
public sealed class BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f) : BatchNorm("BatchNorm2d", channels, eps, momentum)
{
    /// <summary>When set, training normalizes with the statistics of the batch spread over these replicas (SyncBatchNorm).</summary>
    public IReplicaSum? Replicas { get; set; }

    public override Tensor Forward(Tensor x) => Replicas is { } replicas && Training
        ? F.SyncBatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, Training, replicas, Momentum, Eps)
        : F.BatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps);
}
