namespace ContextNets.Attention;

/// <summary>
/// The tensors of a non-local block's attention part, as the state dict holds
/// them: 1x1 conv weights [out, in, 1, 1] and biases [out]. theta and phi are
/// absent in gaussian mode, the concatenation projection [1, 2*inner, 1, 1]
/// outside concatenation mode.
/// </summary>
internal sealed record NonLocalParams(
    Pairwise Mode, bool UseScale, int Inner,
    Tensor GWeight, Tensor GBias,
    Tensor? ThetaWeight, Tensor? ThetaBias, Tensor? PhiWeight, Tensor? PhiBias,
    Tensor? ConcatWeight)
{
    /// <summary>Width of theta and phi: the inner width, or the input's channels in gaussian mode (theta = phi = x).</summary>
    public int KeyWidth(int channels) => Mode == Pairwise.Gaussian ? channels : Inner;

    /// <summary>The factor on the logits before the softmax: 1/sqrt(inner) for embedded gaussian with use_scale, else 1.</summary>
    public float LogitScale => Mode == Pairwise.EmbeddedGaussian && UseScale ? 1f / MathF.Sqrt(Inner) : 1f;
}
