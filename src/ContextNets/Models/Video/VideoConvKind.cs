using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>
/// The spatio-temporal 3x3 convolution of a torchvision video block: a full 3x3x3 (R3D), a 1x3x3 without time
/// (the MC3 upper stages), or the (2+1)D factorization into 1x3x3 -> BN -> ReLU -> 3x1x1 with torchvision's
/// midplanes, which keeps the parameter count of the full kernel.
/// </summary>
public enum VideoConvKind
{
    Full3d,
    NoTemporal,
    TwoPlusOne,
}

internal static class VideoConvs
{
    /// <summary>The conv as torchvision's Conv3DSimple, Conv3DNoTemporal or Conv2Plus1D builds it (padding 1).</summary>
    public static Module Build(VideoConvKind kind, int inPlanes, int outPlanes, int midPlanes, int stride) => kind switch
    {
        VideoConvKind.Full3d => VideoLayers.Conv((inPlanes, outPlanes), (3, 3, 3), (stride, stride, stride), (1, 1, 1)),
        VideoConvKind.NoTemporal => VideoLayers.Conv((inPlanes, outPlanes), (1, 3, 3), (1, stride, stride), (0, 1, 1)),
        _ => new Sequential(
            VideoLayers.Conv((inPlanes, midPlanes), (1, 3, 3), (1, stride, stride), (0, 1, 1)),
            VideoLayers.Norm(midPlanes),
            Lambda.Relu(),
            VideoLayers.Conv((midPlanes, outPlanes), (3, 1, 1), (stride, 1, 1), (1, 0, 0))),
    };

    /// <summary>The stride of the 1x1x1 shortcut: no temporal stride when the block's conv has none.</summary>
    public static (int d, int h, int w) DownsampleStride(VideoConvKind kind, int stride) =>
        kind == VideoConvKind.NoTemporal ? (1, stride, stride) : (stride, stride, stride);

    /// <summary>torchvision's midplanes: (in * out * 27) / (in * 9 + 3 * out), the (2+1)D width with the 3x3x3's parameters.</summary>
    public static int MidPlanes(int inPlanes, int outPlanes) => inPlanes * outPlanes * 27 / (inPlanes * 9 + 3 * outPlanes);
}
