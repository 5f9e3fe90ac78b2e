using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// The bottleneck block, torchvision v1.5 / timm Bottleneck: conv1 1x1, bn1, ReLU, conv2 3x3 (the stride,
/// the groups), bn2, ReLU, conv3 1x1, bn3, then attention `se` if any, plus the shortcut, ReLU.
/// The width is floor(planes * baseWidth / 64) * cardinality; the output is planes * 4.
/// As timm's ResNestBottleneck it also takes a replacement for conv2 (split-attention, which brings its own
/// norm and ReLU, so there is no bn2) and avd: a 3x3 average pool (stride s, padding 1, padding counted) that
/// takes the stride of a strided block, before conv2 (`avd_first`) or after it (`avd_last`). In a dilated stage conv2
/// takes <see cref="BlockDilation.First"/>, as torchvision's and timm's bottlenecks do.
/// </summary>
public sealed class Bottleneck : ResidualBlock
{
    public const int Expansion = 4;

    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly AvgPool2d? _avdFirst;
    private readonly Module _conv2;
    private readonly BatchNorm2d? _bn2;
    private readonly AvgPool2d? _avdLast;
    private readonly Module? _attn;
    private readonly Conv2d _conv3;
    private readonly BatchNorm2d _bn3;
    private readonly Module? _se;

    internal Bottleneck(int inplanes, int planes, int stride, BlockDilation dilation, ResNetConfig config, BlockSite site)
    {
        int width = planes * config.BaseWidth / 64 * config.Cardinality;
        int outplanes = planes * Expansion;
        // timm: avd applies when stride > 1 (is_first is never set by its ResNet), and then the conv runs at stride 1.
        int convStride = config.Avd && stride > 1 ? 1 : stride;

        _conv1 = Register("conv1", ConvInit.Conv(inplanes, width, 1));
        _bn1 = Register("bn1", ConvInit.Norm(width));
        if (config.Avd && stride > 1 && config.AvdFirst) _avdFirst = Register("avd_first", new AvgPool2d(3, stride, 1));
        if (config.MiddleConv is { } middle)
        {
            _conv2 = Register("conv2", middle.Create(width, width, convStride, config.Cardinality, dilation.First));
            if (!middle.IncludesNormAct) _bn2 = Register("bn2", ConvInit.Norm(width));
        }
        else
        {
            _conv2 = Register("conv2", ConvInit.Conv(width, width, 3, convStride, config.Cardinality, dilation.First));
            _bn2 = Register("bn2", ConvInit.Norm(width));
        }
        if (config.Avd && stride > 1 && !config.AvdFirst) _avdLast = Register("avd_last", new AvgPool2d(3, stride, 1));
        _attn = RegisterHook("attn", config.AttentionAfterConv2, site with { Channels = width });
        _conv3 = Register("conv3", ConvInit.Conv(width, outplanes, 1));
        _bn3 = Register("bn3", ConvInit.Norm(outplanes, config.ZeroInitLast));
        _se = RegisterHook("se", config.AttentionAfterLastNorm, site with { Channels = outplanes });
        RegisterShortcutAndAfter(Shortcut.For(inplanes, outplanes, stride, config.AvgDown, dilation.Inner), config.AfterBlock, site with { Channels = outplanes });
        Width = width;
    }

    /// <summary>Channels of the 3x3 conv.</summary>
    public int Width { get; }

    public override Tensor Forward(Tensor x)
    {
        var y = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        if (_avdFirst is not null) y = _avdFirst.Forward(y);
        y = _conv2.Forward(y);
        if (_bn2 is not null) y = F.Relu(_bn2.Forward(y));
        if (_avdLast is not null) y = _avdLast.Forward(y);
        if (_attn is not null) y = _attn.Forward(y);
        y = _bn3.Forward(_conv3.Forward(y));
        if (_se is not null) y = _se.Forward(y);
        return Merge(y, x);
    }
}
