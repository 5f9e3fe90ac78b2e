using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>timm's ConvNormAct: `conv` (no bias), `bn`, then ReLU unless <c>act</c> is false.</summary>
public sealed class ConvNormAct : Module
{
    private readonly bool _act;

    internal ConvNormAct(int inChannels, int outChannels, int kernel, bool act = true, bool zeroGamma = false, int dilation = 1)
    {
        Conv = Register("conv", ConvInit.Conv(inChannels, outChannels, kernel, dilation: dilation));
        Bn = Register("bn", ConvInit.Norm(outChannels, zeroGamma));
        _act = act;
    }

    public Conv2d Conv { get; }
    public BatchNorm2d Bn { get; }

    /// <summary>Whether a ReLU follows the norm.</summary>
    public bool Act => _act;

    public override Tensor Forward(Tensor x)
    {
        var y = Bn.Forward(Conv.Forward(x));
        return _act ? F.Relu(y) : y;
    }
}
