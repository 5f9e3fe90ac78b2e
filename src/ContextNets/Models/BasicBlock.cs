using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// The basic residual block (torchvision and timm BasicBlock): conv1 3x3 (with the stride), bn1, ReLU,
/// conv2 3x3, bn2, then attention `se` if any, plus the shortcut, ReLU. Optional `attn` after the first
/// ReLU and `non_local_block` after the output (see <see cref="ResNetConfig"/>). A middle-conv replacement (split
/// attention in splat_resnet20) takes conv1's place with the stride; when it brings its own norm and ReLU there is no bn1.
/// In a dilated stage conv1 takes <see cref="BlockDilation.First"/> and conv2 <see cref="BlockDilation.Inner"/>, as
/// timm's BasicBlock does (torchvision's refuses dilation in basic blocks).
/// </summary>
public sealed class BasicBlock : ResidualBlock
{
    public const int Expansion = 1;

    private readonly Module _conv1;
    private readonly BatchNorm2d? _bn1;
    private readonly Module? _attn;
    private readonly Conv2d _conv2;
    private readonly BatchNorm2d _bn2;
    private readonly Module? _se;

    internal BasicBlock(int inplanes, int planes, int stride, BlockDilation dilation, ResNetConfig config, BlockSite site)
    {
        var at = site with { Channels = planes };
        if (config.MiddleConv is { } middle)
        {
            _conv1 = Register("conv1", middle.Create(inplanes, planes, stride, 1, dilation.First));
            if (!middle.IncludesNormAct) _bn1 = Register("bn1", ConvInit.Norm(planes));
        }
        else
        {
            _conv1 = Register("conv1", ConvInit.Conv(inplanes, planes, 3, stride, dilation: dilation.First));
            _bn1 = Register("bn1", ConvInit.Norm(planes));
        }
        _attn = RegisterHook("attn", config.AttentionAfterConv2, at);
        _conv2 = Register("conv2", ConvInit.Conv(planes, planes, 3, dilation: dilation.Inner));
        _bn2 = Register("bn2", ConvInit.Norm(planes, config.ZeroInitLast));
        _se = RegisterHook("se", config.AttentionAfterLastNorm, at);
        RegisterShortcutAndAfter(Shortcut.For(inplanes, planes, stride, config.AvgDown, dilation.Inner), config.AfterBlock, at);
    }

    public override Tensor Forward(Tensor x)
    {
        var y = _conv1.Forward(x);
        if (_bn1 is not null) y = F.Relu(_bn1.Forward(y));
        if (_attn is not null) y = _attn.Forward(y);
        y = _bn2.Forward(_conv2.Forward(y));
        if (_se is not null) y = _se.Forward(y);
        return Merge(y, x);
    }
}
