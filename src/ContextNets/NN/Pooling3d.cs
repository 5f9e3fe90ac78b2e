namespace ContextNets.NN;

/// <summary>torch.nn.MaxPool3d (floor mode); no parameters.</summary>
public sealed class MaxPool3d((int d, int h, int w) kernel, (int d, int h, int w)? stride = null, (int d, int h, int w) padding = default) : Module
{
    public (int d, int h, int w) Kernel { get; } = kernel;
    public (int d, int h, int w) Stride { get; } = stride ?? kernel;
    public (int d, int h, int w) Padding { get; } = padding;

    public override Tensor Forward(Tensor x) => F.MaxPool3d(x, Kernel, Stride, Padding);
}

/// <summary>torch.nn.AvgPool3d (floor mode), the padding counted in the divisor unless <paramref name="countIncludePad"/> is false; no parameters.</summary>
public sealed class AvgPool3d((int d, int h, int w) kernel, (int d, int h, int w)? stride = null, (int d, int h, int w) padding = default, bool countIncludePad = true) : Module
{
    public (int d, int h, int w) Kernel { get; } = kernel;
    public (int d, int h, int w) Stride { get; } = stride ?? kernel;
    public (int d, int h, int w) Padding { get; } = padding;
    public bool CountIncludePad { get; } = countIncludePad;

    public override Tensor Forward(Tensor x) => F.AvgPool3d(x, Kernel, Stride, Padding, CountIncludePad);
}

/// <summary>torch.nn.AdaptiveAvgPool3d((1, 1, 1)): the mean over D, H and W; no parameters.</summary>
public sealed class GlobalAvgPool3d : Module
{
    public override Tensor Forward(Tensor x) => F.GlobalAvgPool3d(x);
}
