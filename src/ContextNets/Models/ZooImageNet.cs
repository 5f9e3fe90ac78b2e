using ContextNets.Attention;

namespace ContextNets.Models;

/// <summary>The ImageNet models of the zoo (224x224x3, 1000 classes by default).</summary>
internal static class ZooImageNet
{
    private static ZooEntry E(string name, string family, string description, Func<int, int, ResNetConfig> config) =>
        new(name, family, 224, 1000, 3, description, config);

    public static IEnumerable<ZooEntry> Entries()
    {
        yield return E("resnet18", "resnet", "ResNet-18 (torchvision): basic blocks [2, 2, 2, 2].", (n, c) => ResNets.ResNet18(n, c));
        yield return E("resnet34", "resnet", "ResNet-34 (torchvision): basic blocks [3, 4, 6, 3].", (n, c) => ResNets.ResNet34(n, c));
        yield return E("resnet50", "resnet", "ResNet-50 (torchvision v1.5): bottlenecks [3, 4, 6, 3], stride in the 3x3.", (n, c) => ResNets.ResNet50(n, c));
        yield return E("resnet101", "resnet", "ResNet-101 (torchvision v1.5): bottlenecks [3, 4, 23, 3].", (n, c) => ResNets.ResNet101(n, c));
        yield return E("resnet50d", "resnet", "ResNet-50-D (timm): deep stem of three 3x3 convs (32, 32, 64), avg-down shortcuts.", (n, c) => ResNets.ResNet50D(n, c));
        yield return E("resnext50_32x4d", "resnet", "ResNeXt-50 32x4d (torchvision): 32 groups of width 4 in the 3x3 conv.", (n, c) => ResNets.ResNeXt50_32x4d(n, c));
        yield return E("seresnet50", "se", "SE-ResNet-50 (timm): SE (r 16, rd divisor 8) after bn3 of every bottleneck, key `se`.",
            (n, c) => ResNets.ResNet50(n, c) with { AttentionAfterLastNorm = Placement.Everywhere(ch => new SqueezeExcite(ch)) });
        yield return E("gcresnet50", "gc", "GCNet paper: GC (attention pooling, add fusion, r 16) after conv3+bn3 of every bottleneck in c3-c5 (layer2-4), key `se`.",
            (n, c) => GcPaper(n, c, 16));
        yield return E("gcresnet50_r4", "gc", "GCNet paper, the stronger setting: as gcresnet50 with r 4.", (n, c) => GcPaper(n, c, 4));
        yield return E("gcresnet50t", "gc", "timm gcresnet50t: tiered stem (24, 32, 64), no max pool; GC 'gca' (add, rd 1/8) after the 3x3 conv of every bottleneck, key `attn`.",
            (n, c) => ResNets.ResNet50TieredNoPool(n, c) with
            {
                AttentionAfterConv2 = Placement.Everywhere(ch => new GlobalContext(ch, ContextPooling.Attention, ContextFusion.Add, rdRatio: 1.0 / 8)),
            });
        yield return E("nlresnet50", "nl", "Non-local paper: one NL block (embedded gaussian, inner C/2, sub-sampled keys, BN after W_z zero-init) before the last block of res4 (layer3).",
            (n, c) => WithPaperNonLocal(ResNets.ResNet50(n, c)));
        yield return E("nlresnet50_5", "nl", "Non-local paper: five NL blocks (as nlresnet50) after every other block of res3 and res4 (layer2.1, 2.3, 3.1, 3.3, 3.5).",
            (n, c) => ResNets.ResNet50(n, c) with { AfterBlock = Placement.EveryOtherBlock(PaperNonLocal, 2, 3) });
        yield return E("resnest14d", "resnest", "ResNeSt-14d (timm): split attention (radix 2, cardinality 1) as the 3x3 conv, deep stem, avg-down, avd.", (n, c) => ResNeSt([1, 1, 1, 1], n, c));
        yield return E("resnest26d", "resnest", "ResNeSt-26d (timm): as resnest14d with [2, 2, 2, 2] blocks.", (n, c) => ResNeSt([2, 2, 2, 2], n, c));
        yield return E("resnest50d", "resnest", "ResNeSt-50d (timm): as resnest14d with [3, 4, 6, 3] blocks.", (n, c) => ResNeSt([3, 4, 6, 3], n, c));
        yield return E("skresnet18", "sk", "SK-ResNet-18 (timm): selective kernel (3x3 and dilated 3x3 over split input, rd 1/8 / 16) as conv1 of every basic block.",
            (n, c) => ResNets.SkResNet([2, 2, 2, 2], SelectiveKernelConv, n, c));
        yield return E("skresnet34", "sk", "SK-ResNet-34 (timm): as skresnet18 with [3, 4, 6, 3] blocks.", (n, c) => ResNets.SkResNet([3, 4, 6, 3], SelectiveKernelConv, n, c));
    }

    private static ResNetConfig GcPaper(int numClasses, int inChannels, int reduction) => WithPaperGc(ResNets.ResNet50(numClasses, inChannels), reduction);

    /// <summary>GC (attention pooling, add fusion, r <paramref name="reduction"/>) after the last conv and norm of every block in c3-c5, as the GCNet paper places it.</summary>
    internal static ResNetConfig WithPaperGc(ResNetConfig config, int reduction) =>
        config with
        {
            AttentionAfterLastNorm = Placement.OnStages(ch => new GlobalContext(ch, ContextPooling.Attention, ContextFusion.Add, rdRatio: 1.0 / reduction), 2, 3, 4),
        };

    /// <summary>One NL block before the last block of res4 (layer3), as the Non-local paper places it.</summary>
    internal static ResNetConfig WithPaperNonLocal(ResNetConfig config) => config with { AfterBlock = Placement.BeforeLastBlock(3, PaperNonLocal) };

    // The paper (section 3.3, 4.1): max-pooled phi and g, no scaling of the logits, BN after W_z with gamma zeroed.
    private static NN.Module PaperNonLocal(int channels) =>
        new NonLocal(channels, Pairwise.EmbeddedGaussian, reduction: 2, subSample: true, useScale: false, norm: true);

    private static ResNetConfig ResNeSt(int[] layers, int numClasses, int inChannels) =>
        ResNets.ResNeStD(layers, SplitAttentionConv, numClasses, inChannels);

    internal static NN.Module SplitAttentionConv(int inChannels, int outChannels, int stride, int groups, int dilation) =>
        new SplitAttention(inChannels, outChannels, 3, stride, groups, radix: 2, dilation: dilation);

    internal static NN.Module SelectiveKernelConv(int inChannels, int outChannels, int stride, int groups, int dilation) =>
        new SelectiveKernel(inChannels, outChannels, stride: stride, dilation: dilation, groups: groups, rdRatio: 1.0 / 8, rdDivisor: 16, splitInput: true);
}
