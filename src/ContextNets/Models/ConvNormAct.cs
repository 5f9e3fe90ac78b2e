using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>timm's ConvNormAct: `conv` (no bias), `bn`, then ReLU unless <c>act</c> is false.</summary>
public sealed class ConvNormAct : Module
{
    private readonly Conv2d _conv;
    private readonly BatchNorm2d _bn;
    private readonly bool _act;

    internal ConvNormAct(int inChannels, int outChannels, int kernel, bool act = true, bool zeroGamma = false)
    {
        _conv = Register("conv", ConvInit.Conv(inChannels, outChannels, kernel));
        _bn = Register("bn", ConvInit.Norm(outChannels, zeroGamma));
        _act = act;
    }

    /// <summary>Whether a ReLU follows the norm.</summary>
    public bool Act => _act;

    public override Tensor Forward(Tensor x)
    {
        var y = _bn.Forward(_conv.Forward(x));
        return _act ? F.Relu(y) : y;
    }
}
