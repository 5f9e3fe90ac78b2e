namespace ContextNets.NN;

/// <summary>torch.nn.BatchNorm3d: `weight`, `bias`, and the buffers `running_mean`, `running_var`, over clips [N, C, D, H, W].</summary>
public sealed class BatchNorm3d(int channels, float eps = 1e-5f, float momentum = 0.1f) : BatchNorm("BatchNorm3d", channels, eps, momentum)
{
    public override Tensor Forward(Tensor x) => F.BatchNorm3d(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps);
}
