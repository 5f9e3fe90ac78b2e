namespace ContextNets.Models;

/// <summary>
/// The dilation of a residual block's 3x3 convs when a stage trades its stride for dilation (torchvision's
/// replace_stride_with_dilation, timm's output_stride). <paramref name="First"/> is the dilation of the block's first
/// 3x3 conv (conv2 of a bottleneck, conv1 of a basic block): the stage before's dilation in the stage's first block
/// (torchvision's previous_dilation), the stage's own in the others. <paramref name="Inner"/> is the stage's dilation,
/// which a basic block's second 3x3 conv and the shortcut's pool take (timm's dilation).
/// </summary>
public readonly record struct BlockDilation(int First, int Inner)
{
    /// <summary>No dilation anywhere: the plain network.</summary>
    public static BlockDilation None => new(1, 1);
}
