using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// The CIFAR-style ResNet-20 family of the zoo, made for 28x28 Fashion-MNIST (one channel, 10 classes) by default and
/// just as happy with 32x32 CIFAR. The attention variants put one kind of block where each paper would on basic blocks.
/// </summary>
internal static class ZooCifar
{
    private const int Depth = 20;

    private static ZooEntry E(string name, string family, string description, Func<ResNetConfig, ResNetConfig> with) =>
        new(name, family, 28, 10, 1, description, (n, c) => with(ResNets.Cifar(Depth, n, c)));

    public static IEnumerable<ZooEntry> Entries()
    {
        yield return E("resnet20", "cifar", "CIFAR ResNet-20 (He et al. 2016): 3x3 stem of 16, three stages of 3 basic blocks (16, 32, 64), 1x1 conv shortcuts.", c => c);
        yield return E("gc_resnet20", "cifar-gc", "resnet20 with GC (attention pooling, add fusion, r 4) after bn2 of every basic block, key `se`.",
            c => c with { AttentionAfterLastNorm = Placement.Everywhere(ch => new GlobalContext(ch, ContextPooling.Attention, ContextFusion.Add, rdRatio: 1.0 / 4)) });
        yield return E("se_resnet20", "cifar-se", "resnet20 with SE (r 16, at least 8 inner channels) after bn2 of every basic block, key `se`.",
            c => c with { AttentionAfterLastNorm = Placement.Everywhere(ch => new SqueezeExcite(ch)) });
        yield return E("snl_resnet20", "cifar-snl", "resnet20 with a simplified NL block after bn2 of every basic block, key `se`.",
            c => c with { AttentionAfterLastNorm = Placement.Everywhere(ch => new SimplifiedNonLocal(ch)) });
        yield return E("nl_resnet20", "cifar-nl", "resnet20 with one NL block (embedded gaussian, inner C/2, scaled logits, no sub-sampling, BN after W_z zero-init) before the last block of stage 2.",
            c => c with { AfterBlock = Placement.BeforeLastBlock(2, ch => NonLocalBlock(ch, Pairwise.EmbeddedGaussian)) });
        yield return E("nl_gaussian_resnet20", "cifar-nl", "resnet20 with one NL block in gaussian mode (softmax of x_i . x_j, scaled) before the last block of stage 2.",
            c => c with { AfterBlock = Placement.BeforeLastBlock(2, ch => NonLocalBlock(ch, Pairwise.Gaussian)) });
        yield return E("cc_resnet20", "cifar-cc", "resnet20 with one criss-cross attention block (CCNet: query/key C/8, recurrence 2, gamma zero-init) where nl_resnet20 has its NL block.",
            c => c with { AfterBlock = Placement.BeforeLastBlock(2, ch => new CrissCross(ch)) });
        yield return E("sk_resnet20", "cifar-sk", "resnet20 with timm's SelectiveKernelBasic: a selective-kernel conv (3x3 and dilated 3x3, split input, rd 1/8 / 16) replaces conv1, conv2 is a ConvNormAct.",
            c => c with
            {
                Block = BlockType.SelectiveKernelBasic,
                MiddleConv = new MiddleConv(ZooImageNet.SelectiveKernelConv, IncludesNormAct: true),
                ZeroInitLast = false,
            });
        yield return E("splat_resnet20", "cifar-splat", "resnet20 with split attention (radix 2, with its own BN and ReLU) replacing conv1 and bn1 of every basic block.",
            c => c with { MiddleConv = new MiddleConv(ZooImageNet.SplitAttentionConv, IncludesNormAct: true) });
    }

    // Small maps (14x14 at stage 2 for a 28x28 input): every key is kept, and the logits are scaled by 1/sqrt(inner).
    private static Module NonLocalBlock(int channels, Pairwise mode) =>
        new NonLocal(channels, mode, reduction: 2, subSample: false, useScale: true, norm: true);
}
