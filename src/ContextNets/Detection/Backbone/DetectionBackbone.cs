using ContextNets.NN;

namespace ContextNets.Detection.Backbone;

/// <summary>torchvision's BackboneWithFPN: `body` (a ResNet's stages) and `fpn`, giving five levels of 256 channels.</summary>
public sealed class DetectionBackbone : Module
{
    private readonly ResNetBody _body;
    private readonly FeaturePyramid _fpn;

    public DetectionBackbone(ResNetBody body, int outChannels = 256)
    {
        _body = Register("body", body);
        _fpn = Register("fpn", new FeaturePyramid(body.StageChannels, outChannels));
    }

    public ResNetBody Body => _body;

    public int OutChannels => _fpn.OutChannels;

    public override Tensor Forward(Tensor x) => ForwardLevels(x)[0];

    /// <summary>P2..P6 for a padded batch [N, 3, H, W].</summary>
    public Tensor[] ForwardLevels(Tensor x) => _fpn.ForwardLevels(_body.ForwardStages(x));
}
