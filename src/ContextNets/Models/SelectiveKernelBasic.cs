using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// timm's SelectiveKernelBasic (skresnet18/34): conv1 is the selective-kernel conv (from the config's
/// middle-conv factory; it carries the stride and brings its own norms and ReLUs), conv2 a 3x3 ConvNormAct
/// without ReLU (`conv2.conv`, `conv2.bn`), then `se` if any, plus the shortcut, ReLU.
/// </summary>
public sealed class SelectiveKernelBasic : ResidualBlock
{
    private readonly Module _conv1;
    private readonly Module? _attn;
    private readonly ConvNormAct _conv2;
    private readonly Module? _se;

    internal SelectiveKernelBasic(int inplanes, int planes, int stride, BlockDilation dilation, ResNetConfig config, BlockSite site)
    {
        var at = site with { Channels = planes };
        _conv1 = Register("conv1", config.MiddleConv!.Create(inplanes, planes, stride, 1, dilation.First));
        _attn = RegisterHook("attn", config.AttentionAfterConv2, at);
        _conv2 = Register("conv2", new ConvNormAct(planes, planes, 3, act: false, zeroGamma: config.ZeroInitLast, dilation: dilation.Inner));
        _se = RegisterHook("se", config.AttentionAfterLastNorm, at);
        RegisterShortcutAndAfter(Shortcut.For(inplanes, planes, stride, config.AvgDown, dilation.Inner), config.AfterBlock, at);
    }

    public override Tensor Forward(Tensor x)
    {
        var y = _conv1.Forward(x);
        if (_attn is not null) y = _attn.Forward(y);
        y = _conv2.Forward(y);
        if (_se is not null) y = _se.Forward(y);
        return Merge(y, x);
    }
}
