namespace ContextNets.Models;

/// <summary>
/// The configurations of named ResNets, as timm and torchvision define them. Attention variants take these
/// and add hooks (`config with { AttentionAfterLastNorm = ... }`).
/// </summary>
public static class ResNets
{
    public static ResNetConfig ResNet18(int numClasses = 1000, int inChannels = 3) => Plain(BlockType.Basic, [2, 2, 2, 2], numClasses, inChannels);
    public static ResNetConfig ResNet34(int numClasses = 1000, int inChannels = 3) => Plain(BlockType.Basic, [3, 4, 6, 3], numClasses, inChannels);
    public static ResNetConfig ResNet50(int numClasses = 1000, int inChannels = 3) => Plain(BlockType.Bottleneck, [3, 4, 6, 3], numClasses, inChannels);
    public static ResNetConfig ResNet101(int numClasses = 1000, int inChannels = 3) => Plain(BlockType.Bottleneck, [3, 4, 23, 3], numClasses, inChannels);

    /// <summary>timm resnet50d: deep stem (stem width 32) and avg-down shortcuts.</summary>
    public static ResNetConfig ResNet50D(int numClasses = 1000, int inChannels = 3) =>
        ResNet50(numClasses, inChannels) with { Stem = StemType.Deep, StemWidth = 32, AvgDown = true };

    /// <summary>resnext50_32x4d: 32 groups of width 4 in the first stage.</summary>
    public static ResNetConfig ResNeXt50_32x4d(int numClasses = 1000, int inChannels = 3) =>
        ResNet50(numClasses, inChannels) with { Cardinality = 32, BaseWidth = 4 };

    /// <summary>
    /// The backbone of timm's gcresnet50t, a ByobNet: ResNet-50 bottlenecks with plain 1x1 conv shortcuts after a tiered
    /// stem (24, 32, 64) whose third conv takes the second stride, no max pool. gcresnet50t adds GlobalContext 'gca'
    /// (fuse add, rd_ratio 1/8) as <see cref="ResNetConfig.AttentionAfterConv2"/>. The architecture is timm's; the keys
    /// are ours and map one to one onto timm's: stem.conv{1,2,3}.{conv,bn} = conv1.{0,3,6} with conv1.{1,4} and bn1,
    /// stages.S.B = layer(S+1).B with conv1_1x1, conv2_kxk, conv3_1x1 = conv1/bn1, conv2/bn2, conv3/bn3,
    /// shortcut.{conv,bn} = downsample.{0,1}, attn = attn, head.fc = fc.
    /// </summary>
    public static ResNetConfig ResNet50TieredNoPool(int numClasses = 1000, int inChannels = 3) =>
        ResNet50(numClasses, inChannels) with { Stem = StemType.DeepTieredNoPool, StemWidth = 32 };

    /// <summary>
    /// timm's ResNeSt-D (resnest14d/26d/50d by <paramref name="layers"/> [1,1,1,1], [2,2,2,2], [3,4,6,3]): deep stem
    /// of width 32, avg-down, avd after the middle conv, and <paramref name="splitAttention"/> as the middle conv
    /// (timm: SplitAttn(in, out, kernel 3, stride, groups = cardinality, radix 2), keys conv, bn0, fc1, bn1, fc2).
    /// </summary>
    public static ResNetConfig ResNeStD(IReadOnlyList<int> layers, MiddleConvFactory splitAttention, int numClasses = 1000, int inChannels = 3) =>
        Plain(BlockType.Bottleneck, layers, numClasses, inChannels) with
        {
            Stem = StemType.Deep,
            StemWidth = 32,
            AvgDown = true,
            MiddleConv = new MiddleConv(splitAttention, IncludesNormAct: true),
            Avd = true,
            AvdFirst = false,
        };

    /// <summary>
    /// timm's skresnet18 / skresnet34 (by <paramref name="layers"/> [2,2,2,2] / [3,4,6,3]): SelectiveKernelBasic blocks
    /// with <paramref name="selectiveKernel"/> as conv1 (timm: SelectiveKernel(in, out, stride, rd_ratio 1/8,
    /// rd_divisor 16, split_input), keys paths.{0,1}.{conv,bn}, attn.{fc_reduce,bn,fc_select}); timm builds these
    /// without zero_init_last.
    /// </summary>
    public static ResNetConfig SkResNet(IReadOnlyList<int> layers, MiddleConvFactory selectiveKernel, int numClasses = 1000, int inChannels = 3) =>
        Plain(BlockType.SelectiveKernelBasic, layers, numClasses, inChannels) with
        {
            MiddleConv = new MiddleConv(selectiveKernel, IncludesNormAct: true),
            ZeroInitLast = false,
        };

    /// <summary>
    /// A CIFAR ResNet of depth 6n + 2 (20, 32, 56, 110: He et al. 2016, section 4.2): a 3x3 stem of 16 channels,
    /// three stages of n basic blocks at 16, 32 and 64 channels, global pool, fc. The shortcuts that change shape
    /// are 1x1 conv + BN (the paper's option B), so the keys are those of the ImageNet ResNets. The stem keeps the
    /// size, so 28x28 inputs end at 7x7 and 32x32 at 8x8.
    /// </summary>
    public static ResNetConfig Cifar(int depth, int numClasses = 10, int inChannels = 3)
    {
        if (depth < 8 || (depth - 2) % 6 != 0) throw new ArgumentException($"A CIFAR ResNet has depth 6n + 2 (20, 32, 56, ...), not {depth}.");
        int n = (depth - 2) / 6;
        return new ResNetConfig
        {
            Block = BlockType.Basic,
            Layers = [n, n, n],
            Channels = [16, 32, 64],
            Stem = StemType.Cifar,
            StemWidth = 16,
            NumClasses = numClasses,
            InChannels = inChannels,
        };
    }

    private static ResNetConfig Plain(BlockType block, IReadOnlyList<int> layers, int numClasses, int inChannels) =>
        new() { Block = block, Layers = layers, NumClasses = numClasses, InChannels = inChannels };
}
