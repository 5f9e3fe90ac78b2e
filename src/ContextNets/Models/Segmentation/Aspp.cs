using ContextNets.NN;

namespace ContextNets.Models.Segmentation;

/// <summary>
/// torchvision's ASPP (DeepLabV3's atrous spatial pyramid pooling): five branches of 256 channels over the same map,
/// `convs.0` a 1x1 conv-BN-ReLU, `convs.1..3` 3x3 conv-BN-ReLUs at the atrous rates, `convs.4` image pooling (global
/// average pool, then 1x1 conv-BN-ReLU at keys 1, 2, spread back over the map by bilinear upsampling from 1x1, that
/// is a broadcast); their concatenation is projected by `project` (1x1 conv 1280 -> 256, BN, ReLU, Dropout(0.5)).
/// </summary>
public sealed class Aspp : Module
{
    /// <summary>The width of every branch and of the output.</summary>
    public const int Channels = 256;

    private readonly Sequential _convs;
    private readonly Sequential _project;

    public Aspp(int inChannels, IReadOnlyList<int> rates)
    {
        ArgumentNullException.ThrowIfNull(rates);
        _convs = new Sequential(SegmentationHeads.ConvNormRelu(inChannels, Channels, 1));
        foreach (int rate in rates) _convs.Add(SegmentationHeads.ConvNormRelu(inChannels, Channels, 3, rate));
        _convs.Add(new Sequential(new Lambda(F.GlobalAvgPool2d, "global_avg_pool"), new Conv2d(inChannels, Channels, 1, bias: false), new BatchNorm2d(Channels), Lambda.Relu()));
        _convs = Register("convs", _convs);
        _project = Register("project", new Sequential(
            new Conv2d(Channels * (rates.Count + 2), Channels, 1, bias: false), new BatchNorm2d(Channels), Lambda.Relu(), new Dropout(0.5f)));
    }

    public override Tensor Forward(Tensor x)
    {
        int h = x.Shape[2], w = x.Shape[3];
        var branches = new List<Tensor>(_convs.Count);
        for (int i = 0; i < _convs.Count - 1; i++) branches.Add(_convs[i].Forward(x));
        branches.Add(F.UpsampleBilinear(_convs[_convs.Count - 1].Forward(x), h, w));
        return _project.Forward(F.Cat(branches, 1));
    }
}
