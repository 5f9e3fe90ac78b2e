namespace ContextNets.NN;

/// <summary>
/// inplace_abn's ABN (InPlaceABN, InPlaceABNSync): a BatchNorm2d followed by a leaky ReLU in one module, so that its
/// keys are a BatchNorm2d's (`weight`, `bias`, `running_mean`, `running_var`) with no index of its own for the
/// activation. CCNet's official head builds every norm this way, with inplace_abn's default slope 0.01.
/// </summary>
public sealed class ActivatedBatchNorm2d(int channels, float slope = 0.01f, float eps = 1e-5f, float momentum = 0.1f)
    : BatchNorm("ActivatedBatchNorm2d", channels, eps, momentum)
{
    /// <summary>The slope of the leaky ReLU below zero.</summary>
    public float Slope { get; } = slope;

    public override Tensor Forward(Tensor x) =>
        F.LeakyRelu(F.BatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps), Slope);
}
