namespace ContextNets.Attention;

/// <summary>The input checks every attention block makes before any kernel runs.</summary>
internal static class BlockInput
{
    /// <summary>x must be [N, channels, H, W] with at least one position.</summary>
    public static void Check(string block, Tensor x, int channels)
    {
        if (x.Rank != 4) throw new ArgumentException($"{block}: expected input [N, {channels}, H, W], got {x.Shape} (rank {x.Rank}).");
        if (x.Shape[1] != channels) throw new ArgumentException($"{block}: expected {channels} channels, input {x.Shape} has {x.Shape[1]}.");
        if (x.Shape[2] * x.Shape[3] == 0) throw new ArgumentException($"{block}: input {x.Shape} has no positions to pool over.");
    }
}
