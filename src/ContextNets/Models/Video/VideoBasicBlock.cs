using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>
/// torchvision's video BasicBlock: conv1 = (conv, BN, ReLU), conv2 = (conv, BN), the shortcut (a strided 1x1x1 conv
/// and BN as `downsample`) when the shape changes, then the sum and a ReLU.
/// </summary>
public sealed class VideoBasicBlock : Module
{
    private readonly Sequential _conv1, _conv2;
    private readonly Sequential? _downsample;

    public VideoBasicBlock(VideoConvKind kind, int inPlanes, int planes, int stride)
    {
        int mid = VideoConvs.MidPlanes(inPlanes, planes);
        _conv1 = Register("conv1", VideoLayers.ConvNormAct(VideoConvs.Build(kind, inPlanes, planes, mid, stride), planes));
        _conv2 = Register("conv2", VideoLayers.ConvNormAct(VideoConvs.Build(kind, planes, planes, mid, 1), planes, relu: false));
        if (stride != 1 || inPlanes != planes)
            _downsample = Register("downsample", VideoLayers.ConvNormAct(
                VideoLayers.Conv((inPlanes, planes), (1, 1, 1), VideoConvs.DownsampleStride(kind, stride)), planes, relu: false));
    }

    public override Tensor Forward(Tensor x)
    {
        var residual = _downsample is null ? x : _downsample.Forward(x);
        return F.Relu(F.Add(_conv2.Forward(_conv1.Forward(x)), residual));
    }
}
