using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// The layers a ResNet makes for itself, initialized as torchvision and timm do: convs without bias
/// and kaiming_normal(fan_out, ReLU), BN with gamma 1 (or 0 for zero_init_last) and beta 0.
/// Modules from hooks and factories keep their own initialization (a GC block's zeroed last conv must stay zero).
/// </summary>
internal static class ConvInit
{
    /// <summary>A conv padded by dilation * (kernel - 1) / 2, which keeps the size of an odd kernel at stride 1 (torchvision's conv3x3 pads by the dilation).</summary>
    public static Conv2d Conv(int inChannels, int outChannels, int kernel, int stride = 1, int groups = 1, int dilation = 1)
    {
        var conv = new Conv2d(inChannels, outChannels, kernel, stride, dilation * (kernel - 1) / 2, dilation, groups, bias: false);
        // PyTorch's fan_out is out_channels * k * k, whatever the groups.
        Initializers.KaimingNormalFanOut(outChannels * kernel * kernel)(conv.Weight.Span);
        return conv;
    }

    public static BatchNorm2d Norm(int channels, bool zeroGamma = false)
    {
        var bn = new BatchNorm2d(channels);
        if (zeroGamma) bn.Weight.Span.Clear();
        return bn;
    }
}
