using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>
/// The bottleneck of the Non-local paper's C2D and I3D ResNet-50 (video-nonlocal-net's bottleneck_transformation_3d):
/// conv1 kt x 1 x 1 (kt 1, or 3 where the block is inflated), conv2 1x3x3 with the spatial stride, conv3 1x1x1, each
/// with its BN, and a 1x1x1 strided `downsample` when the shape changes; timm's keys. An optional GC block (`gc`)
/// sits after bn3 before the sum, as GCNet places it; an optional NL block (`nl`) follows the block's output, as the
/// paper inserts it.
/// </summary>
public sealed class VideoBottleneck : Module
{
    public const int Expansion = 4;
    private readonly Conv3d _conv1, _conv2, _conv3;
    private readonly BatchNorm3d _bn1, _bn2, _bn3;
    private readonly Sequential? _downsample;
    private readonly GlobalContext? _gc;
    private readonly NonLocal? _nl;

    public VideoBottleneck(int inPlanes, int planes, int stride, int temporalKernel, VideoBlockExtra extra = VideoBlockExtra.None)
    {
        int outPlanes = planes * Expansion;
        _conv1 = Register("conv1", VideoLayers.Conv((inPlanes, planes), (temporalKernel, 1, 1), padding: (temporalKernel / 2, 0, 0)));
        _bn1 = Register("bn1", VideoLayers.Norm(planes));
        _conv2 = Register("conv2", VideoLayers.Conv((planes, planes), (1, 3, 3), (1, stride, stride), (0, 1, 1)));
        _bn2 = Register("bn2", VideoLayers.Norm(planes));
        _conv3 = Register("conv3", VideoLayers.Conv((planes, outPlanes), (1, 1, 1)));
        _bn3 = Register("bn3", VideoLayers.Norm(outPlanes));
        if (stride != 1 || inPlanes != outPlanes)
            _downsample = Register("downsample", VideoLayers.ConvNormAct(VideoLayers.Conv((inPlanes, outPlanes), (1, 1, 1), (1, stride, stride)), outPlanes, relu: false));
        // GCNet: attention pooling, add fusion, r = 16, its last conv zeroed so that the block starts as the identity.
        if (extra == VideoBlockExtra.GlobalContext) _gc = Register("gc", new GlobalContext(outPlanes, lnEps: 1e-5f));
        // The paper's NL: embedded Gaussian with the 1/sqrt(inner) scale, half the channels inside, (1, 2, 2) max
        // pooling of phi and g, and a BN after W_z whose zero gamma makes the block start as the identity.
        if (extra == VideoBlockExtra.NonLocal) _nl = Register("nl", new NonLocal(outPlanes, subSample: true, useScale: true, norm: true));
    }

    public NonLocal? NonLocalBlock => _nl;

    public override Tensor Forward(Tensor x)
    {
        var h = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        h = F.Relu(_bn2.Forward(_conv2.Forward(h)));
        h = _bn3.Forward(_conv3.Forward(h));
        // The GC block sees every position of the clip: on the folded map [N, C, T*H, W] its softmax runs over T*H*W.
        if (_gc is not null) h = F.UnfoldDepth(_gc.Forward(F.FoldDepth(h)), h.Shape[2]);
        var y = F.Relu(F.Add(h, _downsample is null ? x : _downsample.Forward(x)));
        return _nl is null ? y : _nl.Forward(y);
    }
}

/// <summary>What a video bottleneck carries besides its convs.</summary>
public enum VideoBlockExtra
{
    None,
    NonLocal,
    GlobalContext,
}
