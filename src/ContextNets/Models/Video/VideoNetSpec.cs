namespace ContextNets.Models.Video;

/// <summary>
/// Where a Non-local-paper network is inflated and what its blocks carry. The temporal kernels are
/// video-nonlocal-net's (obtain_arc, ResNet-50): C2D has none; I3D has a 5x7x7 conv1 and 3x1x1 first convs in every
/// block of res2, in blocks 0 and 2 of res3, 0, 2 and 4 of res4, and block 1 of res5. NL blocks follow every other
/// block of res3 and res4 (blocks 1, 3 and 1, 3, 5: five) or every block (ten); GC blocks sit in every block of
/// res3-res5, GCNet's placement. The small networks (<see cref="Width"/> 16, two blocks a stage) keep these rules
/// over the blocks they have: they are for training on a few cores, not the paper's.
/// </summary>
public sealed record VideoNetSpec(string Name, bool Inflated, VideoBlockExtra Blocks, bool EveryBlock = false)
{
    private static readonly int[][] I3dInflated = [[1, 1, 1], [1, 0, 1, 0], [1, 0, 1, 0, 1, 0], [0, 1, 0]];

    /// <summary>ResNet-50's blocks per stage.</summary>
    public static readonly IReadOnlyList<int> ResNet50Depths = [3, 4, 6, 3];

    /// <summary>The stem's channels and res2's bottleneck width (64 in ResNet-50); each stage doubles it.</summary>
    public int Width { get; init; } = 64;

    /// <summary>Blocks per stage, at most ResNet-50's.</summary>
    public IReadOnlyList<int> Depths { get; init; } = ResNet50Depths;

    public int StemTemporalKernel => Inflated ? 5 : 1;

    /// <summary>The temporal kernel of conv1 of block <paramref name="block"/> of stage <paramref name="stage"/> (0 = res2).</summary>
    public int TemporalKernel(int stage, int block) => Inflated && I3dInflated[stage][block] == 1 ? 3 : 1;

    public VideoBlockExtra Extra(int stage, int block) => Blocks switch
    {
        VideoBlockExtra.NonLocal when stage is 1 or 2 && (EveryBlock || block % 2 == 1) => VideoBlockExtra.NonLocal,
        VideoBlockExtra.GlobalContext when stage >= 1 => VideoBlockExtra.GlobalContext,
        _ => VideoBlockExtra.None,
    };
}

/// <summary>The zoo entries of the Non-local paper's video networks (Kinetics-400 heads, 8-frame 224 clips by default).</summary>
internal static class NonLocalVideoNets
{
    public static IEnumerable<VideoZooEntry> Entries()
    {
        yield return Entry(new("c2d_resnet50", false, VideoBlockExtra.None), "NL paper C2D ResNet-50: 2-D kernels per frame, temporal max pools");
        yield return Entry(new("i3d_resnet50", true, VideoBlockExtra.None), "NL paper I3D ResNet-50: 5x7x7 conv1, 3x1x1 first convs in every other block");
        yield return Entry(new("i3d_resnet50_nl5", true, VideoBlockExtra.NonLocal), "I3D ResNet-50 with 5 NL blocks (2 in res3, 3 in res4, every other block)");
        yield return Entry(new("i3d_resnet50_nl10", true, VideoBlockExtra.NonLocal, EveryBlock: true), "I3D ResNet-50 with 10 NL blocks (every block of res3 and res4)");
        yield return Entry(new("i3d_resnet50_gc", true, VideoBlockExtra.GlobalContext), "I3D ResNet-50 with GC blocks in every block of res3-res5 (GCNet placement)");
        yield return Small(new("c2d_small", false, VideoBlockExtra.None), "C2D at width 16, 2 blocks a stage (for training on a few cores)");
        yield return Small(new("i3d_small", true, VideoBlockExtra.None), "I3D at width 16, 2 blocks a stage (for training on a few cores)");
        yield return Small(new("i3d_small_nl", true, VideoBlockExtra.NonLocal), "i3d_small with NL blocks after block 1 of res3 and res4 (the nl5 rule over its blocks)");
        yield return Small(new("i3d_small_gc", true, VideoBlockExtra.GlobalContext), "i3d_small with GC blocks in every block of res3-res5 (GCNet placement)");
    }

    /// <summary>The small networks' clip: 8 frames of 48 squared, the size of `ctxnet train --task video`'s generated clips.</summary>
    public const int SmallFrames = 8, SmallSide = 48;

    private static VideoZooEntry Entry(VideoNetSpec spec, string description) =>
        new(spec.Name, 8, 224, 400, description, (classes, channels) => new NonLocalVideoNet(spec, classes, channels));

    private static VideoZooEntry Small(VideoNetSpec spec, string description)
    {
        var small = spec with { Width = 16, Depths = [2, 2, 2, 2] };
        return new(small.Name, SmallFrames, SmallSide, 10, description, (classes, channels) => new NonLocalVideoNet(small, classes, channels));
    }
}
