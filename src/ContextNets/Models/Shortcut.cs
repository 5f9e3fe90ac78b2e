using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>The projection shortcut of a block whose shape changes (timm's downsample_conv and downsample_avg).</summary>
internal static class Shortcut
{
    /// <summary>
    /// Null when the block keeps its shape. Otherwise `downsample` = [1x1 conv with the stride, BN] (keys 0, 1), or with
    /// <paramref name="avgDown"/> [2x2 average pool with the stride (an identity at stride 1), 1x1 conv, BN] (keys 1, 2).
    /// The pool rounds up and excludes padding, so odd sizes shrink as the block's strided conv does. In a dilated stage
    /// (<paramref name="dilation"/> above 1, stride 1) timm's downsample_avg keeps a 2x2 pool at stride 1 with "same"
    /// padding (<see cref="SameAvgPool2d"/>).
    /// </summary>
    public static Sequential? For(int inChannels, int outChannels, int stride, bool avgDown, int dilation = 1)
    {
        if (stride == 1 && inChannels == outChannels) return null;
        if (!avgDown) return new Sequential(ConvInit.Conv(inChannels, outChannels, 1, stride), ConvInit.Norm(outChannels));
        Module pool = stride > 1 ? new AvgPool2d(2, stride, countIncludePad: false, ceilMode: true)
            : dilation > 1 ? new SameAvgPool2d() : Lambda.Identity();
        return new Sequential(pool, ConvInit.Conv(inChannels, outChannels, 1), ConvInit.Norm(outChannels));
    }
}
