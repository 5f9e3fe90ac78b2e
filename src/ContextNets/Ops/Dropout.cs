using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Inverted dropout: each element is zeroed with probability p and the
    /// survivors are scaled by 1/(1-p), so the expectation is unchanged. When not
    /// training, or when p is 0, the result is x itself (an alias). A seed makes
    /// the mask reproducible (it depends on the seed and the shape, not the
    /// layout); without one, each call draws a new mask.
    /// </summary>
    public static Tensor Dropout(Tensor x, float p, bool training, long? seed = null)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentException($"dropout: probability p = {p} is outside [0, 1) (input {x.Shape}).");
        if (!training || p == 0f)
        {
            var same = x.Alias();
            if (!Tape.ShouldRecord(x)) return same;
            return Tape.Record(same, "dropout", [x], gy => [gy]);
        }
        // The mask is managed memory: the backward rule may outlive every scope, and the GC frees it with the graph.
        var mask = DropoutKernels.Mask(x.Numel, p, seed ?? Random.Shared.NextInt64());
        var y = x.EmptyLike();
        DropoutKernels.Apply(x, mask, y);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "dropout", [x], gy =>
        {
            var gx = gy.EmptyLike();
            DropoutKernels.Apply(gy, mask, gx);
            return [gx];
        });
    }
}
