using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>
/// The 3-D layers the video ResNets make for themselves, initialized as torchvision's VideoResNet does: convs without
/// bias and kaiming_normal(fan_out, ReLU), BN with gamma 1 and beta 0.
/// </summary>
internal static class VideoLayers
{
    public static Conv3d Conv((int inC, int outC) channels, (int d, int h, int w) kernel, (int d, int h, int w)? stride = null, (int d, int h, int w) padding = default)
    {
        var conv = new Conv3d(channels.inC, channels.outC, kernel, stride, padding, bias: false);
        // PyTorch's fan_out is out_channels times the kernel's volume.
        Initializers.KaimingNormalFanOut(channels.outC * kernel.d * kernel.h * kernel.w)(conv.Weight.Span);
        return conv;
    }

    public static BatchNorm3d Norm(int channels, bool zeroGamma = false)
    {
        var bn = new BatchNorm3d(channels);
        if (zeroGamma) bn.Weight.Span.Clear();
        return bn;
    }

    /// <summary>A conv, its BN and (unless <paramref name="relu"/> is false) a ReLU, as torchvision's nn.Sequential of them (keys 0, 1).</summary>
    public static Sequential ConvNormAct(Module conv, int channels, bool relu = true) =>
        relu ? new Sequential(conv, Norm(channels), Lambda.Relu()) : new Sequential(conv, Norm(channels));

    /// <summary>The classifier torchvision initializes with normal(0, 0.01) weights and zero bias.</summary>
    public static Linear Classifier(int features, int classes)
    {
        var fc = new Linear(features, classes);
        Initializers.Normal(0.01)(fc.Weight.Span);
        fc.Bias!.Span.Clear();
        return fc;
    }
}
