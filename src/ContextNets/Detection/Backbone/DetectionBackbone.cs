using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Detection.Backbone;

/// <summary>
/// torchvision's BackboneWithFPN: `body` (a headless zoo ResNet prepared by <see cref="DetectorBody"/>, its stages read
/// through the shared feature API) and `fpn`, giving five levels of 256 channels.
/// </summary>
public sealed class DetectionBackbone : Module
{
    private readonly ResNet _body;
    private readonly FeaturePyramid _fpn;

    public DetectionBackbone(ResNet body, int outChannels = 256)
    {
        _body = Register("body", body);
        _fpn = Register("fpn", new FeaturePyramid(DetectorBody.StageChannels(body), outChannels));
    }

    public ResNet Body => _body;

    public int OutChannels => _fpn.OutChannels;

    public override Tensor Forward(Tensor x) => ForwardLevels(x)[0];

    /// <summary>P2..P6 for a padded batch [N, 3, H, W].</summary>
    public Tensor[] ForwardLevels(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != 3) throw new ArgumentException($"The detector body expects images [N, 3, H, W], got {x.Shape}.");
        return _fpn.ForwardLevels(_body.ForwardFeatureMaps(x, DetectorBody.OutIndices));
    }
}
