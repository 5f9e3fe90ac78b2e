using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// Where in a network a hook is asked for a module: the stage (1-based, as in `layerN`; res2..res5
/// and c2..c5 in the papers are stages 1..4), the block's index in it, how many blocks the stage has,
/// and the channels of the feature map at the hook.
/// </summary>
public readonly record struct BlockSite(int Stage, int Index, int Depth, int Channels);

/// <summary>A module to put at <paramref name="site"/>, or null for none there.</summary>
public delegate Module? BlockHook(BlockSite site);

/// <summary>
/// Makes the 3x3 convolution in the middle of a bottleneck (timm's `conv2`), for a block that replaces
/// it: ResNeSt's split-attention, a selective-kernel conv.
/// </summary>
public delegate Module MiddleConvFactory(int inChannels, int outChannels, int stride, int groups, int dilation);

/// <summary>
/// A replacement for the bottleneck's middle conv. With <paramref name="IncludesNormAct"/> the module
/// brings its own normalization and ReLU (as timm's SplitAttn does), and the block has no `bn2`.
/// </summary>
public sealed record MiddleConv(MiddleConvFactory Create, bool IncludesNormAct = true);

/// <summary>Hooks for the placements the papers use.</summary>
public static class Placement
{
    /// <summary>In every block of the given stages (GCNet: c3-c5 are stages 2, 3, 4).</summary>
    public static BlockHook OnStages(Func<int, Module> make, params int[] stages)
    {
        CheckStages(stages);
        return site => stages.Contains(site.Stage) ? make(site.Channels) : null;
    }

    /// <summary>In every block of every stage (SE).</summary>
    public static BlockHook Everywhere(Func<int, Module> make) => site => make(site.Channels);

    /// <summary>
    /// For <see cref="ResNetConfig.AfterBlock"/>: one module after the second-to-last block of a stage, that is
    /// right before its last block (the Non-local paper's single block, before the last residual block of res4 = stage 3).
    /// </summary>
    public static BlockHook BeforeLastBlock(int stage, Func<int, Module> make)
    {
        CheckStages([stage]);
        return site =>
        {
            if (site.Stage != stage) return null;
            if (site.Depth < 2) throw new ArgumentException($"BeforeLastBlock: stage {stage} has {site.Depth} block(s); a module before its last block needs at least 2.");
            return site.Index == site.Depth - 2 ? make(site.Channels) : null;
        };
    }

    /// <summary>
    /// For <see cref="ResNetConfig.AfterBlock"/>: after every other block (indices 1, 3, 5, ...) of the given stages.
    /// On ResNet-50's res3 and res4 (stages 2 and 3) that is the Non-local paper's five blocks, as mmaction2 places them.
    /// </summary>
    public static BlockHook EveryOtherBlock(Func<int, Module> make, params int[] stages)
    {
        CheckStages(stages);
        return site => stages.Contains(site.Stage) && site.Index % 2 == 1 ? make(site.Channels) : null;
    }

    private static void CheckStages(int[] stages)
    {
        if (stages.Length == 0 || stages.Any(s => s < 1))
            throw new ArgumentException($"Placement: stages [{string.Join(", ", stages)}] must be 1-based stage numbers (layer1 is 1), at least one.");
    }
}
