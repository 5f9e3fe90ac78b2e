using ContextNets.NN;

namespace ContextNets.Models.Segmentation;

/// <summary>torchvision's segmentation heads, as Sequentials with torchvision's child indices (so their keys match).</summary>
public static class SegmentationHeads
{
    /// <summary>
    /// torchvision's FCNHead(in, classes): conv 3x3 in -> in/4 (no bias), BN, ReLU, Dropout(0.1), conv 1x1 -> classes
    /// (with bias); keys 0, 1, 4.
    /// </summary>
    public static Sequential Fcn(int inChannels, int classes)
    {
        int inner = inChannels / 4;
        return new Sequential(
            new Conv2d(inChannels, inner, 3, padding: 1, bias: false), new BatchNorm2d(inner), Lambda.Relu(), new Dropout(0.1f),
            new Conv2d(inner, classes, 1));
    }

    /// <summary>
    /// torchvision's DeepLabHead(in, classes): ASPP (rates 12, 24, 36, 256 channels), conv 3x3 256 -> 256 (no bias),
    /// BN, ReLU, conv 1x1 -> classes; keys 0 (the ASPP), 1, 2, 4.
    /// </summary>
    public static Sequential DeepLab(int inChannels, int classes) => new(
        new Aspp(inChannels, [12, 24, 36]), new Conv2d(Aspp.Channels, Aspp.Channels, 3, padding: 1, bias: false), new BatchNorm2d(Aspp.Channels),
        Lambda.Relu(), new Conv2d(Aspp.Channels, classes, 1));

    /// <summary>conv (no bias), BN, ReLU as a Sequential (keys 0, 1), torchvision's ASPP branch and projection layout.</summary>
    internal static Sequential ConvNormRelu(int inChannels, int outChannels, int kernel, int dilation = 1) => new(
        new Conv2d(inChannels, outChannels, kernel, padding: dilation * (kernel / 2), dilation: dilation, bias: false),
        new BatchNorm2d(outChannels), Lambda.Relu());
}
