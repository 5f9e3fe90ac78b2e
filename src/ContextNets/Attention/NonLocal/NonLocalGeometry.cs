namespace ContextNets.Attention;

/// <summary>
/// Where the positions of a non-local block's input lie, for 1-D [N, C, L],
/// 2-D [N, C, H, W] and 3-D [N, C, T, H, W] inputs. Every rank is seen as
/// T frames of H x W (1-D: one frame of L x 1), and the block works on the
/// 4-D map [N, C, T*H, W], where a 1x1 conv is the same as on the input.
/// Sub-sampling is a max pooling over (H, W) inside each frame: 2x2 for 2-D,
/// (1, 2, 2) for 3-D as the paper does for video (time is not pooled), and
/// 2 along L for 1-D. Odd sizes drop the last row or column, as PyTorch's
/// floor-mode max_pool does.
/// </summary>
internal readonly record struct NonLocalGeometry(int N, int C, int T, int H, int W, int Kh, int Kw)
{
    public int Positions => T * H * W;
    public int PooledH => H / Kh;
    public int PooledW => W / Kw;
    public int PooledPositions => T * PooledH * PooledW;

    /// <summary>The 4-D map the block works on: [N, C, T*H, W].</summary>
    public Shape MapShape(int channels) => new(N, channels, T * H, W);

    /// <summary>Checks the input and reads its geometry; pooling is (1, 1) without sub-sampling.</summary>
    public static NonLocalGeometry Of(Tensor x, int channels, bool subSample)
    {
        var s = x.Shape;
        if (s.Rank is < 3 or > 5)
            throw new ArgumentException($"NonLocal expects [N, C, L], [N, C, H, W] or [N, C, T, H, W] input, got {s} (rank {s.Rank}).");
        if (s[1] != channels)
            throw new ArgumentException($"NonLocal({channels} channels) got input {s} with {s[1]} channels.");
        if (x.Numel == 0) throw new ArgumentException($"NonLocal: empty input {s}.");
        var g = s.Rank switch
        {
            3 => new NonLocalGeometry(s[0], s[1], 1, s[2], 1, 2, 1),
            4 => new NonLocalGeometry(s[0], s[1], 1, s[2], s[3], 2, 2),
            _ => new NonLocalGeometry(s[0], s[1], s[2], s[3], s[4], 2, 2),
        };
        if (!subSample) return g with { Kh = 1, Kw = 1 };
        if (g.PooledH < 1 || g.PooledW < 1)
        {
            string need = s.Rank == 3 ? "L of at least 2" : "H and W of at least 2";
            throw new ArgumentException($"NonLocal with sub_sample needs {need} for its {(s.Rank == 3 ? "2" : "2x2")} max pooling; input {s} is too small.");
        }
        return g;
    }
}
