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
    private IPairwiseFeatures Source => (IPairwiseFeatures)Block.Module;

    public Pairwise Mode => Source.Mode;

    /// <summary>True for the modes whose maps are distributions (softmax): only they have a Jensen-Shannon divergence.</summary>
    public bool HasDistributions => Mode is Pairwise.Gaussian or Pairwise.EmbeddedGaussian;

    /// <summary>The query map: H x W (T*H x W for 3-D input), Np = H*W positions.</summary>
    public int Height { get; private set; }
    public int Width { get; private set; }
    public int Positions => Height * Width;

    /// <summary>Np', the keys of each map: Np, or the positions left by sub-sampling's max pooling.</summary>
    public int Keys { get; private set; }

    /// <summary>The keys as a map, for drawing: H x W, or the 2x2 (2-D) or 2x1 (1-D) pooling of it; null when they are neither.</summary>
    public (int height, int width)? KeyGrid { get; private set; }

    /// <summary>True when there are pictures to draw: images were seen, the map has pairs and its keys form a grid.</summary>
    public bool CanRender => _shown.Count > 0 && KeyGrid is not null;

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
        var source = Source;
        var attention = source.LastAttention ?? throw new InvalidOperationException($"{Block.Name} kept no attention: was its forward run?");
        var input = source.LastInput!;
        var context = source.LastContext!;
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
        (Height, Width, Keys) = (height, width, keys);
        (int, int)[] grids = [(height, width), (height / 2, width / 2), (height / 2, width)];
        KeyGrid = grids.Where(g => g.Item1 * g.Item2 == keys).Select(g => ((int, int)?)g).FirstOrDefault();
        QueryPoints = QueryGrid.Choose(Math.Min(_queries, Positions), height, width);
    }

    private void Keep(Tensor attention, IReadOnlyList<Image8> display, int first)
    {
        if (first >= _show) return;
        // Only the shown queries' rows are copied out: the whole map can be large.
        using var rows = F.Materialize(attention, MemoryFormat.Contiguous);
        for (int i = 0; i < display.Count && first + i < _show; i++)
        {
            var maps = new float[QueryPoints.Count][];
            for (int q = 0; q < maps.Length; q++)
            {
                long row = (long)i * Positions + QueryPoints[q].y * Width + QueryPoints[q].x;
                maps[q] = rows.Span.Slice((int)(row * Keys), Keys).ToArray();
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
        if (!CanRender)
            throw new InvalidOperationException($"{Block.Name}: nothing to draw ({_shown.Count} images kept; {Keys} keys of a {Height}x{Width} map{(KeyGrid is null ? ", which form no grid" : "")}).");
        var (keyHeight, keyWidth) = KeyGrid!.Value;
        var first = _shown[0].image;
        int scale = HeatMap.Scale(first.Height, first.Width);
        int w = first.Width * scale, h = first.Height * scale;
        var columns = new List<GridColumn> { new("image") };
        for (int q = 0; q < QueryPoints.Count; q++) columns.Add(new($"Q{q + 1}", Markers.Color(q)));
        string title = $"{Block.Name} {Block.Type} {PairwiseNames.Name(Mode)} {Height}x{Width}";
        return HeatMapGrid.Render(title, columns, _shown.Count, w, h, (canvas, r, c, x, y) =>
        {
            var (image, maps) = _shown[r];
            if (c == 0) HeatMap.DrawImage(canvas, x, y, image, scale);
            else HeatMap.DrawOverlay(canvas, x, y, image, scale, maps[c - 1], keyHeight, keyWidth, maps.Max(m => m.Max()));
            for (int q = 0; q < QueryPoints.Count; q++)
                if (c == 0 || c == q + 1)
                {
                    var (px, py) = HeatMap.CellCentre(QueryPoints[q].y, QueryPoints[q].x, Height, Width, h, w);
                    HeatMap.DrawMarker(canvas, x + px, y + py, Markers.Color(q));
                }
        }, "row max", r => $"max {HeatMap.Legend(_shown[r].maps.Max(m => m.Max()))}");
    }
}
