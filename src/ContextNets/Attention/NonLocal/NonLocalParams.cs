namespace ContextNets.Attention;

/// <summary>
/// The tensors of a non-local block before its norm, as the state dict holds
/// them: 1x1 conv weights [out, in, 1, 1] and biases [out]. theta and phi are
/// absent in gaussian mode, the concatenation projection [1, 2*inner, 1, 1]
/// outside concatenation mode, and conv_out's bias when a norm follows it.
/// </summary>
internal sealed record NonLocalParams(
    Pairwise Mode, bool UseScale, int Inner,
    Tensor GWeight, Tensor GBias,
    Tensor? ThetaWeight, Tensor? ThetaBias, Tensor? PhiWeight, Tensor? PhiBias,
    Tensor? ConcatWeight, Tensor OutWeight, Tensor? OutBias)
{
    /// <summary>Width of theta and phi: the inner width, or the input's channels in gaussian mode (theta = phi = x).</summary>
    public int KeyWidth(int channels) => Mode == Pairwise.Gaussian ? channels : Inner;

    /// <summary>The factor on the logits before the softmax: 1/sqrt(inner) for embedded gaussian with use_scale, else 1.</summary>
    public float LogitScale => Mode == Pairwise.EmbeddedGaussian && UseScale ? 1f / MathF.Sqrt(Inner) : 1f;

    /// <summary>The tensors in the order the fused op takes them (and returns their gradients).</summary>
    public Tensor[] Tensors()
    {
        var all = new List<Tensor> { GWeight, GBias };
        if (Mode != Pairwise.Gaussian) all.AddRange([ThetaWeight!, ThetaBias!, PhiWeight!, PhiBias!]);
        if (Mode == Pairwise.Concatenation) all.Add(ConcatWeight!);
        all.Add(OutWeight);
        if (OutBias is not null) all.Add(OutBias);
        return [.. all];
    }
}
