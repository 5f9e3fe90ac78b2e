using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// timm's AvgPool2dSame(2, stride 1), the avg-down shortcut's pool in a dilated stage: the map is padded by one zero row
/// and column at its bottom and right ("same" padding for a 2x2 window at stride 1), and each output averages its 2x2
/// window with those zeros counted, so the size is kept. Computed as a 2x2 average over a map padded by one on every
/// side (padding counted), without its first row and column.
/// </summary>
public sealed class SameAvgPool2d : Module
{
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"SameAvgPool2d expects [N, C, H, W], got {x.Shape}.");
        int h = x.Shape[2], w = x.Shape[3];
        var pooled = F.AvgPool2d(x, 2, 1, 1, countIncludePad: true);
        return F.Slice(F.Slice(pooled, 2, 1, h), 3, 1, w);
    }
}
