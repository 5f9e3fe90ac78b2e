using ContextNets.Attention;
using ContextNets.Data;
using ContextNets.IO;

namespace ContextNets.Analysis;

/// <summary>
/// The one attention map of a GC or SNL block (softmax over positions of a 1x1 conv, shared by every query), kept
/// for the first images for <see cref="Render"/>, with its H x W inferred from the image size (<see cref="MapGrid"/>).
/// </summary>
public sealed class PoolingMapAnalysis
{
    private readonly List<(Image8 image, float[] map)> _shown = [];
    private readonly List<double> _entropy = [];
    private readonly List<double> _mass = [], _area = [];
    private readonly int _show;

    internal PoolingMapAnalysis(AttentionBlock block, int show)
    {
        Block = block;
        _show = show;
    }

    public AttentionBlock Block { get; }

    /// <summary>The map's H*W, once an image was seen.</summary>
    public int Positions { get; private set; }

    /// <summary>The map's (H, W), or null when its positions do not fit a downsampling of the image (then it is not drawn).</summary>
    public (int height, int width)? Grid { get; private set; }

    /// <summary>The map's entropy over ln(H*W) (<see cref="MapEntropy"/>): 1 for a uniform map, near 0 for a focused one.</summary>
    public Summary Entropy => new(_entropy);

    /// <summary>With regions (<see cref="AttentionAnalysis.Add"/>): the map's weight on them per image (<see cref="RegionMass"/>).</summary>
    public Summary RegionMass => new(_mass);

    /// <summary>With regions: their share of the map's area per image; uniform pooling has <see cref="RegionMass"/> equal to it.</summary>
    public Summary RegionArea => new(_area);

    public bool CanRender => Grid is not null && _shown.Count > 0;

    internal void Add(IReadOnlyList<Image8> display, int first, IReadOnlyList<bool[]>? regions = null)
    {
        var weights = ((IAttentionSource)Block.Module).LastAttention
            ?? throw new InvalidOperationException($"{Block.Name} kept no attention: was its forward run?");
        if (Positions == 0)
        {
            Positions = weights.Shape[1];
            Grid = MapGrid.Infer(Positions, display[0].Height, display[0].Width);
        }
        if (Positions > 1) _entropy.AddRange(MapEntropy.PerImage(weights));
        // The weights are copied out only for what needs them: the region masses, or the first images' pictures.
        if (regions is null && first >= _show) return;
        var all = weights.ToArray();
        if (regions is not null && Grid is { } grid)
            for (int i = 0; i < display.Count; i++)
            {
                var (mass, area) = Analysis.RegionMass.Of(all.AsSpan(i * Positions, Positions), grid.height, grid.width, regions[i], display[i].Height, display[i].Width);
                _mass.Add(mass);
                _area.Add(area);
            }
        if (first >= _show) return;
        for (int i = 0; i < display.Count && first + i < _show; i++)
            _shown.Add((display[i], all.AsSpan(i * Positions, Positions).ToArray()));
    }

    /// <summary>One row per image: the image, then the pooling map over it, scaled 0 to the map's largest value.</summary>
    public Canvas Render()
    {
        if (Grid is not { } grid) throw new InvalidOperationException($"{Block.Name}: the {Positions} positions of its map fit no downsampling of the image.");
        if (_shown.Count == 0) throw new InvalidOperationException($"{Block.Name}: no image was analysed, so there is nothing to draw.");
        var first = _shown[0].image;
        int scale = HeatMap.Scale(first.Height, first.Width);
        string title = $"{Block.Name} {Block.Type} {grid.height}x{grid.width}";
        return HeatMapGrid.Render(title, [new("image"), new("attention")], _shown.Count, first.Width * scale, first.Height * scale, (canvas, r, c, x, y) =>
        {
            var (image, map) = _shown[r];
            if (c == 0) HeatMap.DrawImage(canvas, x, y, image, scale);
            else HeatMap.DrawOverlay(canvas, x, y, image, scale, map, grid.height, grid.width, map.Max());
        }, "max", r => $"max {HeatMap.Legend(_shown[r].map.Max())}");
    }
}
