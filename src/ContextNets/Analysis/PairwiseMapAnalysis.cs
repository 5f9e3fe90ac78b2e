using ContextNets.Attention;
using ContextNets.Data;
using ContextNets.IO;

namespace ContextNets.Analysis;

/// <summary>
/// The measurements of GCNet's Table 1 for one non-local block, over the images seen: the mean distance between
/// the attention maps of all pairs of query positions (cosine, and Jensen-Shannon for the softmax modes), and the
/// mean cosine distance between positions of the block's input x and of its context y = f g (before W_z).
/// Query-independent attention shows as attention distances near 0 and an output distance far below the input's.
/// It keeps the maps of a few query points (<see cref="QueryPoints"/>) of the first images, for <see cref="Render"/>.
/// </summary>
public sealed class PairwiseMapAnalysis
{
    private readonly List<double> _attentionCosine = [], _attentionJsd = [], _entropy = [], _inputCosine = [], _outputCosine = [];
    private readonly List<(Image8 image, float[][] maps)> _shown = [];
    private readonly int _queries, _show;

    internal PairwiseMapAnalysis(AttentionBlock block, int queries, int show)
    {
        Block = block;
        _queries = queries;
        _show = show;
    }

    public AttentionBlock Block { get; }
    private NonLocal Source => (NonLocal)Block.Module;

    public Pairwise Mode => Source.Mode;

    /// <summary>True for the modes whose maps are distributions (softmax): only they have a Jensen-Shannon divergence.</summary>
    public bool HasDistributions => Mode is Pairwise.Gaussian or Pairwise.EmbeddedGaussian;

    /// <summary>The query map (H x W, Np = H*W) and the key map (Np' positions; H/2 x W/2 when sub-sampled).</summary>
    public int Height { get; private set; }
    public int Width { get; private set; }
    public int KeyHeight { get; private set; }
    public int KeyWidth { get; private set; }
    public int Positions => Height * Width;
    public int Keys => KeyHeight * KeyWidth;

    /// <summary>The query points drawn, as (row, column) on the map: <see cref="QueryGrid"/>, at most one per position.</summary>
    public IReadOnlyList<(int y, int x)> QueryPoints { get; private set; } = [];

    public Summary AttentionCosine => new(_attentionCosine);

    /// <summary>Empty (NaN) for the dot-product and concatenation modes, whose maps are not distributions.</summary>
    public Summary AttentionJensenShannon => new(_attentionJsd);

    /// <summary>The maps' entropy over ln Np' (<see cref="MapEntropy"/>; softmax modes only): 1 for uniform maps.</summary>
    public Summary Entropy => new(_entropy);
    public Summary InputCosine => new(_inputCosine);
    public Summary OutputCosine => new(_outputCosine);

    /// <summary>Measures the block's last forward, on images <paramref name="first"/>.. of the analysis.</summary>
    internal void Add(IReadOnlyList<Image8> display, int first)
    {
        var nl = Source;
        var attention = nl.LastAttention ?? throw new InvalidOperationException($"{Block.Name} kept no attention: was its forward run?");
        var input = nl.LastInput!;
        var context = nl.LastContext!;
        if (Height == 0) SetGeometry(input.Shape[2], input.Shape[3], attention.Shape[2]);
        if (Positions < 2) return;
        _attentionCosine.AddRange(PositionDistances.AttentionCosine(attention));
        if (HasDistributions)
        {
            _attentionJsd.AddRange(PositionDistances.AttentionJensenShannon(attention));
            if (Keys > 1) _entropy.AddRange(MapEntropy.PerImage(attention));
        }
        _inputCosine.AddRange(PositionDistances.FeatureCosine(input));
        _outputCosine.AddRange(PositionDistances.FeatureCosine(context));
        Keep(attention, display, first);
    }

    private void SetGeometry(int height, int width, int keys)
    {
        (Height, Width) = (height, width);
        (KeyHeight, KeyWidth) = keys == height * width ? (height, width) : (height / 2, width / 2);
        if (Keys != keys)
            throw new InvalidOperationException($"{Block.Name}: {keys} keys are neither the {height}x{width} map nor its 2x2 pooling.");
        QueryPoints = QueryGrid.Choose(Math.Min(_queries, Positions), height, width);
    }

    private void Keep(Tensor attention, IReadOnlyList<Image8> display, int first)
    {
        if (first >= _show) return;
        var all = attention.ToArray();
        for (int i = 0; i < display.Count && first + i < _show; i++)
        {
            var maps = new float[QueryPoints.Count][];
            for (int q = 0; q < maps.Length; q++)
            {
                int row = QueryPoints[q].y * Width + QueryPoints[q].x;
                maps[q] = all.AsSpan((i * Positions + row) * Keys, Keys).ToArray();
            }
            _shown.Add((display[i], maps));
        }
    }

    /// <summary>
    /// One row per image: the image with the query points marked, then each query's map over it. A row shares one
    /// colour scale, 0 to the largest value of its maps, so that equal maps look equal.
    /// </summary>
    public Canvas Render()
    {
        if (_shown.Count == 0) throw new InvalidOperationException($"{Block.Name}: no image was analysed, so there is nothing to draw.");
        var first = _shown[0].image;
        int scale = HeatMap.Scale(first.Height, first.Width);
        int w = first.Width * scale, h = first.Height * scale;
        var columns = new List<GridColumn> { new("IMAGE") };
        for (int q = 0; q < QueryPoints.Count; q++) columns.Add(new($"Q{q + 1}", Markers.Color(q)));
        string title = $"{Block.Name} {Block.Type} {PairwiseNames.Name(Mode)} {Height}X{Width}";
        return HeatMapGrid.Render(title, columns, _shown.Count, w, h, (canvas, r, c, x, y) =>
        {
            var (image, maps) = _shown[r];
            if (c == 0) HeatMap.DrawImage(canvas, x, y, image, scale);
            else HeatMap.DrawOverlay(canvas, x, y, image, scale, maps[c - 1], KeyHeight, KeyWidth, maps.Max(m => m.Max()));
            for (int q = 0; q < QueryPoints.Count; q++)
                if (c == 0 || c == q + 1)
                {
                    var (px, py) = HeatMap.CellCentre(QueryPoints[q].y, QueryPoints[q].x, Height, Width, h, w);
                    HeatMap.DrawMarker(canvas, x + px, y + py, Markers.Color(q));
                }
        }, "ROW MAX", r => $"MAX {HeatMap.Legend(_shown[r].maps.Max(m => m.Max()))}");
    }
}
