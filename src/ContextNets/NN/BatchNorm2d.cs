namespace ContextNets.NN;

/// <summary>torch.nn.BatchNorm2d (and SyncBatchNorm, with <see cref="Replicas"/>): `weight`, `bias`, and the buffers `running_mean`, `running_var`.</summary>
public sealed class BatchNorm2d : Module
{
    public BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f)
    {
        if (channels < 1) throw new ArgumentException($"BatchNorm2d({channels}): channels must be positive.");
        Channels = channels;
        Eps = eps;
        Momentum = momentum;
        Weight = RegisterParameter("weight", Init([channels], Initializers.Constant(1f)));
        Bias = RegisterParameter("bias", Init([channels]));
        RunningMean = RegisterBuffer("running_mean", Init([channels]));
        RunningVar = RegisterBuffer("running_var", Init([channels], Initializers.Constant(1f)));
    }

    public int Channels { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }

    /// <summary>When set, training normalizes with the statistics of the batch spread over these replicas (SyncBatchNorm).</summary>
    public IReplicaSum? Replicas { get; set; }

    /// <summary>
    /// torchvision's FrozenBatchNorm2d, which detectors put in their bodies: the running statistics normalize in
    /// training too and are never updated, and the affine weights are constants. The keys stay the same.
    /// </summary>
    public bool Frozen
    {
        get;
        set
        {
            field = value;
            Weight.RequiresGrad = !value;
            Bias.RequiresGrad = !value;
        }
    }

    public override Tensor Forward(Tensor x)
    {
        bool batchStatistics = Training && !Frozen;
        return Replicas is { } replicas && batchStatistics
            ? F.SyncBatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, batchStatistics, replicas, Momentum, Eps)
            : F.BatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, batchStatistics, Momentum, Eps);
    }
}
