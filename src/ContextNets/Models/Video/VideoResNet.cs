using ContextNets.Models.Outputs;
using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>
/// torchvision's VideoResNet-18 family (r3d_18, mc3_18, r2plus1d_18) with its state-dict keys: `stem`, `layer1`..`layer4`
/// of two basic blocks each, a global average pool and `fc`. Clips are [N, 3, T, H, W].
/// </summary>
public sealed class VideoResNet : Module, IOutputModel
{
    private readonly Sequential _stem;
    private readonly Sequential[] _layers;
    private readonly Linear _fc;

    /// <param name="kinds">The conv of each of the four stages.</param>
    /// <param name="factorizedStem">The (2+1)D stem (1x7x7 to 45 channels, then 3x1x1) in place of the 3x7x7 one.</param>
    /// <param name="numClasses">The classifier's outputs.</param>
    /// <param name="inChannels">The clips' channels.</param>
    public VideoResNet(VideoConvKind[] kinds, bool factorizedStem, int numClasses, int inChannels = 3)
    {
        if (kinds.Length != 4) throw new ArgumentException($"A video ResNet has four stages, {kinds.Length} conv kinds were given.");
        _stem = Register("stem", factorizedStem
            ? new Sequential(
                VideoLayers.Conv((inChannels, 45), (1, 7, 7), (1, 2, 2), (0, 3, 3)), VideoLayers.Norm(45), Lambda.Relu(),
                VideoLayers.Conv((45, 64), (3, 1, 1), (1, 1, 1), (1, 0, 0)), VideoLayers.Norm(64), Lambda.Relu())
            : VideoLayers.ConvNormAct(VideoLayers.Conv((inChannels, 64), (3, 7, 7), (1, 2, 2), (1, 3, 3)), 64));
        int inPlanes = 64;
        _layers = new Sequential[4];
        for (int s = 0; s < 4; s++)
        {
            int planes = 64 << s, stride = s == 0 ? 1 : 2;
            _layers[s] = Register($"layer{s + 1}", new Sequential(
                new VideoBasicBlock(kinds[s], inPlanes, planes, stride),
                new VideoBasicBlock(kinds[s], planes, planes, 1)));
            inPlanes = planes;
        }
        _fc = Register("fc", VideoLayers.Classifier(512, numClasses));
        NumClasses = numClasses;
    }

    public int NumClasses { get; }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 5) throw new ArgumentException($"A video network takes clips [N, C, T, H, W], got {x.Shape}.");
        var h = _stem.Forward(x);
        foreach (var layer in _layers) h = layer.Forward(h);
        return _fc.Forward(F.Reshape(F.GlobalAvgPool3d(h), h.Shape[0], h.Shape[1]));
    }

    public ModelOutputs Run(Tensor input) => ModelOutputs.Classifier(input, Forward);
}
