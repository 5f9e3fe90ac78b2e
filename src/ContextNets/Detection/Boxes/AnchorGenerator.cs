namespace ContextNets.Detection.Boxes;

/// <summary>
/// torchvision's AnchorGenerator: for each feature level, cell anchors of its sizes and aspect ratios (ratios outer,
/// sizes inner, each rounded half to even as torch.round does), shifted to every position of the level's grid. The
/// stride of a level is the padded image size divided by the level's size, in integers, as torchvision computes it.
/// Anchors come position-major, the A cell anchors of one position together, which is the RPN head's output order.
/// </summary>
public sealed class AnchorGenerator
{
    private readonly float[][] _cells;

    /// <summary>One (sizes, aspect ratios) pair per level; Mask R-CNN's FPN uses sizes 32..512, one per level, ratios 0.5, 1, 2.</summary>
    public AnchorGenerator(IReadOnlyList<float[]> sizes, IReadOnlyList<float[]> aspectRatios)
    {
        if (sizes.Count != aspectRatios.Count) throw new ArgumentException($"anchors: {sizes.Count} size lists for {aspectRatios.Count} ratio lists.");
        _cells = sizes.Select((s, i) => CellAnchors(s, aspectRatios[i])).ToArray();
    }

    /// <summary>torchvision's default for FPN detectors: ((32,), (64,), (128,), (256,), (512,)) x (0.5, 1, 2) on every level.</summary>
    public static AnchorGenerator Fpn() =>
        new([[32f], [64f], [128f], [256f], [512f]], Enumerable.Repeat(new[] { 0.5f, 1f, 2f }, 5).ToArray());

    public int Levels => _cells.Length;

    /// <summary>The anchors per position of each level (the RPN head's A).</summary>
    public int PerLocation(int level) => _cells[level].Length / 4;

    /// <summary>The anchors [H*W*A, 4] flat for one level of size (h, w) on a padded image of (imageH, imageW).</summary>
    public float[] Grid(int level, int h, int w, int imageH, int imageW)
    {
        var cell = _cells[level];
        int a = cell.Length / 4, strideH = imageH / h, strideW = imageW / w;
        var anchors = new float[h * w * cell.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < a; k++)
                {
                    int o = ((y * w + x) * a + k) * 4;
                    float sx = x * strideW, sy = y * strideH;
                    anchors[o] = sx + cell[4 * k];
                    anchors[o + 1] = sy + cell[4 * k + 1];
                    anchors[o + 2] = sx + cell[4 * k + 2];
                    anchors[o + 3] = sy + cell[4 * k + 3];
                }
        return anchors;
    }

    private static float[] CellAnchors(float[] sizes, float[] ratios)
    {
        var cell = new float[4 * sizes.Length * ratios.Length];
        int k = 0;
        foreach (float ratio in ratios)
        {
            float hRatio = MathF.Sqrt(ratio), wRatio = 1f / hRatio;
            foreach (float size in sizes)
            {
                float w = wRatio * size, h = hRatio * size;
                cell[k++] = MathF.Round(-w / 2);
                cell[k++] = MathF.Round(-h / 2);
                cell[k++] = MathF.Round(w / 2);
                cell[k++] = MathF.Round(h / 2);
            }
        }
        return cell;
    }
}
