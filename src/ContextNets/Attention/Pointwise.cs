using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// A 1x1 convolution applied to a pooled context, which has one position per
/// sample: the same product as a linear layer on [N, C], run as one. oneDNN's
/// matmul takes the [out, in, 1, 1] weight as it lies, where its convolution
/// reorders the weight on every training step (4 MB for SNL's 1024 x 1024).
/// </summary>
internal static class Pointwise
{
    /// <summary>conv(x) for x [N, in] seen as [N, in, 1, 1]; the result is [N, out].</summary>
    public static Tensor Linear(Conv2d conv, Tensor x)
    {
        if (conv.KernelSize != 1 || conv.Groups != 1)
            throw new ArgumentException($"A pointwise product needs a 1x1 convolution without groups, not {conv.KernelSize}x{conv.KernelSize} with {conv.Groups} groups.");
        return F.Linear(x, F.Reshape(conv.Weight, conv.OutChannels, conv.InChannels), conv.Bias);
    }
}
