namespace ContextNets.NN;

/// <summary>
/// What torch.nn's batch norms share: `weight` (gamma 1), `bias` (beta 0), and the buffers `running_mean` (0) and
/// `running_var` (1) of <see cref="Channels"/>, with eps and momentum; the subclasses say over which input.
/// </summary>
public abstract class BatchNorm : Module
{
    protected BatchNorm(string kind, int channels, float eps, float momentum)
    {
        if (channels < 1) throw new ArgumentException($"{kind}({channels}): channels must be positive.");
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
}
