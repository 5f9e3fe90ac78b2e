using ContextNets.NN;

namespace ContextNets.Detection.Heads;

/// <summary>
/// torchvision's MaskRCNNHeads, a Sequential (keys `0.0` .. `3.0`): four 3x3 convs of 256 with ReLU on the 14x14
/// pooled features, weights kaiming-normal (fan out), biases 0.
/// </summary>
public static class MaskHead
{
    public static Sequential Create(int inChannels, int width = 256, int depth = 4)
    {
        var layers = new Sequential();
        for (int i = 0; i < depth; i++)
            layers.Add(new Sequential(MaskInit.KaimingFanOut(new Conv2d(i == 0 ? inChannels : width, width, 3, padding: 1)), Lambda.Relu()));
        return layers;
    }
}

/// <summary>
/// torchvision's MaskRCNNPredictor: `conv5_mask`, a 2x2 stride-2 transposed conv with ReLU (14 to 28), and
/// `mask_fcn_logits`, a 1x1 conv to one mask logit map per class.
/// </summary>
public sealed class MaskPredictor : Module
{
    private readonly ConvTranspose2d _up;
    private readonly Conv2d _logits;

    public MaskPredictor(int inChannels, int width, int numClasses)
    {
        _up = Register("conv5_mask", new ConvTranspose2d(inChannels, width, 2));
        _logits = Register("mask_fcn_logits", MaskInit.KaimingFanOut(new Conv2d(width, numClasses, 1)));
        Initializers.KaimingNormalFanOut(width * 4)(_up.Weight.Span);
        _up.Bias.Span.Clear();
    }

    public override Tensor Forward(Tensor x) => _logits.Forward(F.Relu(_up.Forward(x)));
}

internal static class MaskInit
{
    public static Conv2d KaimingFanOut(Conv2d conv)
    {
        Initializers.KaimingNormalFanOut(conv.OutChannels * conv.KernelSize * conv.KernelSize)(conv.Weight.Span);
        conv.Bias!.Span.Clear();
        return conv;
    }
}
