namespace ContextNets.NN;

/// <summary>torch.nn.BatchNorm3d: `weight`, `bias`, and the buffers `running_mean`, `running_var`, over clips [N, C, D, H, W].</summary>
public sealed class BatchNorm3d : Module
{
    public BatchNorm3d(int channels, float eps = 1e-5f, float momentum = 0.1f)
    {
        if (channels < 1) throw new ArgumentException($"BatchNorm3d({channels}): channels must be positive.");
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

    public override Tensor Forward(Tensor x) => F.BatchNorm3d(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps);
}
