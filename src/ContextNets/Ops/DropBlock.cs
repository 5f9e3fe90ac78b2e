using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// DropBlock on a feature map [N, C, H, W] as timm's drop_block_2d: blocks
    /// of blockSize x blockSize (clipped to the map) are zeroed around seeds drawn
    /// with probability gamma = gammaScale * p * H W / k^2 / ((W - k + 1)(H - k + 1))
    /// at centers where the whole block fits, and the rest is scaled by
    /// numel / kept. The backward is the same mask times the same scale. When
    /// not training, or when p is 0, the result is x itself (an alias). A seed
    /// makes the mask reproducible; without one each call draws a new mask.
    /// </summary>
    public static Tensor DropBlock(Tensor x, float dropProb, bool training, int blockSize = 7, float gammaScale = 1f, long? seed = null)
    {
        if (x.Rank != 4) throw new ArgumentException($"drop_block: the input must be [N, C, H, W], got {x.Shape}.");
        if (!(dropProb >= 0f && dropProb < 1f)) throw new ArgumentException($"drop_block: probability p = {dropProb} is outside [0, 1) (input {x.Shape}).");
        if (blockSize < 1) throw new ArgumentException($"drop_block: block size {blockSize} must be at least 1 (input {x.Shape}).");
        if (!(gammaScale >= 0f)) throw new ArgumentException($"drop_block: gamma scale {gammaScale} must be >= 0 (input {x.Shape}).");
        if (!training || dropProb == 0f || x.Numel == 0)
        {
            var same = x.Alias();
            if (!Tape.ShouldRecord(x)) return same;
            return Tape.Record(same, "drop_block", [x], gy => [gy]);
        }
        var s = x.Shape;
        // Managed memory: the backward rule may outlive every scope, and the GC frees it with the graph.
        var mask = DropBlockKernels.Mask(s[0], s[1], s[2], s[3], dropProb, blockSize, gammaScale, seed ?? Random.Shared.NextInt64());
        var y = x.EmptyLike();
        DropoutKernels.Apply(x, mask, y);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "drop_block", [x], gy =>
        {
            var gx = gy.EmptyLike();
            DropoutKernels.Apply(gy, mask, gx);
            return [gx];
        });
    }
}
