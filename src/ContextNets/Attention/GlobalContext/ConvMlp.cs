using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// The GC transform, timm's ConvMlp: fc1 (1x1, C -> rd), LayerNorm2d over rd,
/// ReLU, fc2 (1x1, rd -> C). Applied to the pooled context [N, C, 1, 1].
/// </summary>
public sealed class ConvMlp : Module
{
    public ConvMlp(int channels, int hidden, float lnEps = 1e-6f)
    {
        Fc1 = Register("fc1", new Conv2d(channels, hidden, 1));
        Norm = Register("norm", new LayerNorm2d(hidden, lnEps));
        Fc2 = Register("fc2", new Conv2d(hidden, channels, 1));
    }

    public Conv2d Fc1 { get; }
    public LayerNorm2d Norm { get; }
    public Conv2d Fc2 { get; }

    public override Tensor Forward(Tensor x) => Fc2.Forward(F.Relu(Norm.Forward(Fc1.Forward(x))));

    /// <summary>The same transform on a context flattened to [N, C]: linear layers, and the LayerNorm over the last dim.</summary>
    internal Tensor ForwardFlat(Tensor x) =>
        Pointwise.Linear(Fc2, F.Relu(F.LayerNorm(Pointwise.Linear(Fc1, x), Norm.Weight, Norm.Bias, Norm.Eps)));

    /// <summary>Zeroes fc2's weight and bias, so the transform starts at 0 (mmcv's last_zero_init).</summary>
    internal void ZeroLast()
    {
        Fc2.Weight.Span.Clear();
        Fc2.Bias!.Span.Clear();
    }
}
