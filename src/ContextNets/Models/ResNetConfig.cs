namespace ContextNets.Models;

public enum BlockType
{
    /// <summary>Two 3x3 convs (ResNet-18/34, CIFAR ResNets); expansion 1.</summary>
    Basic,

    /// <summary>1x1, 3x3 (with the stride, torchvision v1.5), 1x1; expansion 4.</summary>
    Bottleneck,

    /// <summary>timm's SelectiveKernelBasic: the middle-conv factory's module as conv1, then a 3x3 ConvNormAct; expansion 1.</summary>
    SelectiveKernelBasic,

    /// <summary>timm's SelectiveKernelBottleneck: 1x1 ConvNormAct, the middle-conv factory's module, 1x1 ConvNormAct; expansion 4.</summary>
    SelectiveKernelBottleneck,
}

public enum StemType
{
    /// <summary>A 7x7 stride-2 conv of <see cref="ResNetConfig.StemWidth"/> channels, BN, ReLU, 3x3 stride-2 max pool.</summary>
    Default,

    /// <summary>timm 'deep' (ResNet-C/D): 3x3 convs of StemWidth, StemWidth, 2 StemWidth channels, the first with stride 2, then BN, ReLU, max pool.</summary>
    Deep,

    /// <summary>timm 'deep_tiered' (the T variants): as Deep with widths 3 (StemWidth / 4), StemWidth, 2 StemWidth.</summary>
    DeepTiered,

    /// <summary>
    /// timm ByobNet's 'tiered' stem without a pool (gcresnet50t): the DeepTiered convs, BNs and widths, but strides
    /// 2, 1, 2 in its three convs and no max pool.
    /// </summary>
    DeepTieredNoPool,

    /// <summary>CIFAR (He et al. 2016, section 4.2): one 3x3 stride-1 conv of StemWidth channels, BN, ReLU, no pooling.</summary>
    Cifar,
}

/// <summary>
/// Everything that defines a ResNet-family network, in timm's terms (timm's ResNet constructor
/// arguments and block_args). Stages get stride 1 for the first and 2 for the others; the first
/// block of a stage carries the stride and, when the shape changes, the downsample shortcut.
/// </summary>
public sealed record ResNetConfig
{
    public BlockType Block { get; init; } = BlockType.Bottleneck;

    /// <summary>Blocks per stage, e.g. [3, 4, 6, 3] for ResNet-50.</summary>
    public IReadOnlyList<int> Layers { get; init; } = [3, 4, 6, 3];

    /// <summary>The `planes` of each stage; a stage outputs planes times the block's expansion.</summary>
    public IReadOnlyList<int> Channels { get; init; } = [64, 128, 256, 512];

    /// <summary>Outputs of the classifier `fc`; 0 makes a headless body without `fc` (timm's num_classes=0), as a segmenter or detector holds it.</summary>
    public int NumClasses { get; init; } = 1000;
    public int InChannels { get; init; } = 3;
    public StemType Stem { get; init; } = StemType.Default;

    /// <summary>The stem's width: its output channels for Default and Cifar, half of them for the deep stems (timm's stem_width).</summary>
    public int StemWidth { get; init; } = 64;

    /// <summary>ResNet-D shortcut: a 2x2 average pool (ceil mode, padding excluded) carries the stride, then a 1x1 conv and BN.</summary>
    public bool AvgDown { get; init; }

    /// <summary>ResNeXt: groups of the bottleneck's 3x3 conv.</summary>
    public int Cardinality { get; init; } = 1;

    /// <summary>ResNeXt: the bottleneck width is floor(planes * BaseWidth / 64) * Cardinality.</summary>
    public int BaseWidth { get; init; } = 64;

    /// <summary>Zero the last BN gamma of each residual branch so that every block starts as the identity (timm's default; torchvision's zero_init_residual is false).</summary>
    public bool ZeroInitLast { get; init; } = true;

    /// <summary>
    /// A replacement for the block's 3x3 conv: ResNeSt's split-attention as a bottleneck's conv2 (null there means a
    /// plain conv with BN and ReLU); conv1 of a basic block (splat_resnet20); the selective-kernel conv of the SK blocks (conv1 of a
    /// basic, conv2 of a bottleneck), which they require.
    /// </summary>
    public MiddleConv? MiddleConv { get; init; }

    /// <summary>ResNeSt avd: in strided blocks a 3x3 stride-s average pool (padding 1) takes the stride instead of the middle conv.</summary>
    public bool Avd { get; init; }

    /// <summary>ResNeSt avd_first: that pool goes before the middle conv instead of after it.</summary>
    public bool AvdFirst { get; init; }

    /// <summary>
    /// Attention after the last conv and its BN of the residual branch, before the sum: bn3 of a bottleneck
    /// (GCNet, SE), bn2 of a basic block. Key `se`, as timm's ResNet names its attn_layer.
    /// </summary>
    public BlockHook? AttentionAfterLastNorm { get; init; }

    /// <summary>
    /// Attention after the middle 3x3 conv, its BN and ReLU (and after an avd pool), before conv3, as timm's
    /// gcresnet50t places it; in a basic block, after the first conv, BN and ReLU. Key `attn`, as timm's ByobNet names it.
    /// </summary>
    public BlockHook? AttentionAfterConv2 { get; init; }

    /// <summary>
    /// A whole block applied to a residual block's output, after its final ReLU (the Non-local placement).
    /// Key `non_local_block` inside the residual block, as mmaction2's ResNets name it; the residual blocks keep their keys.
    /// </summary>
    public BlockHook? AfterBlock { get; init; }

    /// <summary>
    /// torchvision's replace_stride_with_dilation, one entry per stage after the first: a true entry gives that stage
    /// stride 1 and multiplies the dilation of its 3x3 convs (and of every later stage's) by the stride it gave up. The
    /// first block of such a stage keeps the dilation of the stage before it, as torchvision's previous_dilation does.
    /// Null keeps every stride. <see cref="WithOutputStride"/> sets it for an output stride.
    /// </summary>
    public IReadOnlyList<bool>? ReplaceStrideWithDilation { get; init; }

    /// <summary>
    /// This configuration with its last stages dilated instead of strided, so that the last feature map is at 1/<paramref name="outputStride"/>
    /// of the input: on a 4-stage ImageNet ResNet 8 gives [false, true, true], 16 gives [false, false, true] (torchvision's
    /// segmentation settings) and 32 the plain network. The stride before the stages (stem and max pool) must divide it.
    /// </summary>
    public ResNetConfig WithOutputStride(int outputStride)
    {
        int stem = StemReduction, total = stem << (Layers.Count - 1);
        if (outputStride < stem || outputStride > total || outputStride % stem != 0 || !int.IsPow2(outputStride))
            throw new ArgumentException($"An output stride of {outputStride} is not possible for this network: its stem reduces by {stem} and its stages reach {total}; choose a power of two in [{stem}, {total}].");
        var dilate = new bool[Layers.Count - 1];
        int reduction = stem;
        for (int s = 0; s < dilate.Length; s++)
        {
            if (reduction < outputStride) reduction *= 2;
            else dilate[s] = true;
        }
        return this with { ReplaceStrideWithDilation = dilate };
    }

    /// <summary>How much the stem (with its max pool) reduces the input before the first stage: 4 for the ImageNet stems, 1 for CIFAR.</summary>
    public int StemReduction => Stem == StemType.Cifar ? 1 : 4;

    /// <summary>How much the stem reduces the input before its max pool, where timm's `act1` feature is taken: 2, 4 for the pool-less tiered stem, 1 for CIFAR.</summary>
    public int StemFeatureReduction => Stem switch { StemType.Cifar => 1, StemType.DeepTieredNoPool => 4, _ => 2 };

    public int Expansion => Block is BlockType.Bottleneck or BlockType.SelectiveKernelBottleneck ? 4 : 1;

    /// <summary>Channels of the last stage's output, the features the classifier sees.</summary>
    public int FeatureChannels => Channels[^1] * Expansion;

    internal void Validate()
    {
        string Where() => $"ResNetConfig({Block}, layers [{string.Join(", ", Layers)}], channels [{string.Join(", ", Channels)}])";
        if (Layers.Count == 0 || Layers.Count != Channels.Count)
            throw new ArgumentException($"{Where()}: layers and channels need one entry per stage, at least one stage.");
        if (Layers.Any(l => l < 1) || Channels.Any(c => c < 1))
            throw new ArgumentException($"{Where()}: every stage needs at least one block and one channel.");
        if (NumClasses < 0 || InChannels < 1 || StemWidth < 1 || Cardinality < 1 || BaseWidth < 1)
            throw new ArgumentException($"{Where()}: classes {NumClasses}, input channels {InChannels}, stem width {StemWidth}, cardinality {Cardinality} and base width {BaseWidth} must be positive (classes may be 0 for a headless body).");
        if (ReplaceStrideWithDilation is { } dilate && dilate.Count != Layers.Count - 1)
            throw new ArgumentException($"{Where()}: replace_stride_with_dilation needs one entry per stage after the first ({Layers.Count - 1}), got {dilate.Count}.");
        if (Stem is StemType.DeepTiered or StemType.DeepTieredNoPool && StemWidth < 4)
            throw new ArgumentException($"{Where()}: the tiered stem needs a stem width of at least 4, got {StemWidth}.");
        if (Expansion == 1 && (Cardinality != 1 || BaseWidth != 64))
            throw new ArgumentException($"{Where()}: basic blocks support neither cardinality ({Cardinality}) nor base width ({BaseWidth}), as in timm and torchvision.");
        if (Block is BlockType.SelectiveKernelBasic or BlockType.SelectiveKernelBottleneck && MiddleConv is null)
            throw new ArgumentException($"{Where()}: selective-kernel blocks need the selective-kernel conv as the middle-conv factory.");
        if (Avd && Block != BlockType.Bottleneck)
            throw new ArgumentException($"{Where()}: avd is an option of the (ResNeSt) bottleneck.");
        if (AvdFirst && !Avd)
            throw new ArgumentException($"{Where()}: avd_first needs avd.");
    }
}
