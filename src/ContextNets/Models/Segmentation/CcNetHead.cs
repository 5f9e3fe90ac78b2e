using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Models.Segmentation;

/// <summary>
/// CCNet's head, the official RCCAModule (Huang et al., ICCV 2019): `conva` reduces the body's map to C / 4 channels
/// (3x3 conv, ABN), `cca` is one criss-cross attention module applied <see cref="CrissCross.Recurrence"/> times (2,
/// the paper's R = 2) with shared weights, `convb` refines it (3x3 conv, ABN), and `bottleneck` classifies the
/// concatenation of the body's map and the refined one (3x3 conv to 512, ABN, dropout 0.1, 1x1 conv to the classes).
/// ABN is inplace_abn's BatchNorm + leaky ReLU (0.01), so that the keys are the official ones.
/// </summary>
public sealed class CcNetHead : Module
{
    /// <summary>The width of the bottleneck, 512 in the official head.</summary>
    public const int BottleneckChannels = 512;

    private readonly Sequential _reduce;
    private readonly Sequential _refine;
    private readonly Sequential _bottleneck;

    public CcNetHead(int inChannels, int classes, int recurrence = 2)
    {
        int inner = inChannels / 4;
        _reduce = Register("conva", ConvAbn(inChannels, inner));
        Attention = Register("cca", new CrissCross(inner, recurrence));
        _refine = Register("convb", ConvAbn(inner, inner));
        _bottleneck = Register("bottleneck", new Sequential(
            new Conv2d(inChannels + inner, BottleneckChannels, 3, padding: 1, bias: false), new ActivatedBatchNorm2d(BottleneckChannels),
            new Dropout(0.1f), new Conv2d(BottleneckChannels, classes, 1)));
    }

    /// <summary>The criss-cross module (its capture shows the attention maps).</summary>
    public CrissCross Attention { get; }

    public override Tensor Forward(Tensor x)
    {
        var context = _refine.Forward(Attention.Forward(_reduce.Forward(x)));
        return _bottleneck.Forward(F.Cat([x, context], 1));
    }

    private static Sequential ConvAbn(int inChannels, int outChannels) =>
        new(new Conv2d(inChannels, outChannels, 3, padding: 1, bias: false), new ActivatedBatchNorm2d(outChannels));
}
