namespace ContextNets.NN;

/// <summary>torch.nn.MaxPool2d (floor mode); no parameters.</summary>
public sealed class MaxPool2d(int kernel, int? stride = null, int padding = 0) : Module
{
    public int Kernel { get; } = kernel;
    public int Stride { get; } = stride ?? kernel;
    public int Padding { get; } = padding;

    public override Tensor Forward(Tensor x) => F.MaxPool2d(x, Kernel, Stride, Padding);
}

/// <summary>torch.nn.AvgPool2d; no parameters.</summary>
public sealed class AvgPool2d(int kernel, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false) : Module
{
    public int Kernel { get; } = kernel;
    public int Stride { get; } = stride ?? kernel;
    public int Padding { get; } = padding;
    public bool CountIncludePad { get; } = countIncludePad;
    public bool CeilMode { get; } = ceilMode;

    public override Tensor Forward(Tensor x) => F.AvgPool2d(x, Kernel, Stride, Padding, CountIncludePad, CeilMode);
}
