using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// timm's SelectiveKernelBottleneck: conv1 a 1x1 ConvNormAct (`conv1.conv`, `conv1.bn`), conv2 the
/// selective-kernel conv (the config's middle-conv factory, with the stride and the groups), conv3 a 1x1
/// ConvNormAct without ReLU, then `se` if any, plus the shortcut, ReLU. Widths as in <see cref="Bottleneck"/>.
/// </summary>
public sealed class SelectiveKernelBottleneck : ResidualBlock
{
    public const int Expansion = 4;

    private readonly ConvNormAct _conv1;
    private readonly Module _conv2;
    private readonly Module? _attn;
    private readonly ConvNormAct _conv3;
    private readonly Module? _se;

    internal SelectiveKernelBottleneck(int inplanes, int planes, int stride, BlockDilation dilation, ResNetConfig config, BlockSite site)
    {
        int width = planes * config.BaseWidth / 64 * config.Cardinality;
        int outplanes = planes * Expansion;
        _conv1 = Register("conv1", new ConvNormAct(inplanes, width, 1));
        _conv2 = Register("conv2", config.MiddleConv!.Create(width, width, stride, config.Cardinality, dilation.First));
        _attn = RegisterHook("attn", config.AttentionAfterConv2, site with { Channels = width });
        _conv3 = Register("conv3", new ConvNormAct(width, outplanes, 1, act: false, zeroGamma: config.ZeroInitLast));
        _se = RegisterHook("se", config.AttentionAfterLastNorm, site with { Channels = outplanes });
        RegisterShortcutAndAfter(Shortcut.For(inplanes, outplanes, stride, config.AvgDown, dilation.Inner), config.AfterBlock, site with { Channels = outplanes });
    }

    public override Tensor Forward(Tensor x)
    {
        var y = _conv2.Forward(_conv1.Forward(x));
        if (_attn is not null) y = _attn.Forward(y);
        y = _conv3.Forward(y);
        if (_se is not null) y = _se.Forward(y);
        return Merge(y, x);
    }
}
