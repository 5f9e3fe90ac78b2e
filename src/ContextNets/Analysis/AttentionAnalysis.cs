using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Data;
using ContextNets.NN;

namespace ContextNets.Analysis;

/// <summary>
/// Attention analysis of a model, batch by batch: each <see cref="Add"/> runs the model in eval mode without
/// gradients, with the blocks keeping their attention (and the non-local blocks their input and context), and
/// hands what they kept to one <see cref="PairwiseMapAnalysis"/> per NL block and one
/// <see cref="PoolingMapAnalysis"/> per GC/SNL block. Dispose puts the blocks' capture switches back.
/// </summary>
public sealed class AttentionAnalysis : IDisposable
{
    private readonly Module _model;
    private readonly List<(IAttentionSource source, bool attention, bool features)> _restore = [];

    /// <param name="model">A model with at least one block that has an attention map (<see cref="AttentionBlocks.Needed"/>).</param>
    /// <param name="queries">The query points drawn per non-local block (at most its number of positions).</param>
    /// <param name="show">How many of the first images the pictures draw.</param>
    public AttentionAnalysis(Module model, int queries = 4, int show = 4)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (queries < 1) throw new ArgumentException($"AttentionAnalysis: queries must be at least 1, not {queries}.");
        if (show < 1) throw new ArgumentException($"AttentionAnalysis: show must be at least 1 image, not {show}.");
        var blocks = AttentionBlocks.Find(model);
        if (!blocks.Any(b => b.HasMap))
        {
            string found = blocks.Count == 0 ? "no attention block" : $"only {string.Join(", ", blocks.GroupBy(b => b.Type).Select(g => $"{g.Count()} {g.Key}"))} (no spatial map)";
            throw new ArgumentException($"{model.GetType().Name} has {found}: attention analysis needs {AttentionBlocks.Needed}.");
        }
        _model = model;
        Pairwise = [.. blocks.Where(b => b.Kind == AttentionKind.Pairwise).Select(b => new PairwiseMapAnalysis(b, queries, show))];
        Pooling = [.. blocks.Where(b => b.Kind == AttentionKind.Pooling).Select(b => new PoolingMapAnalysis(b, show))];
        WithoutMap = [.. blocks.Where(b => !b.HasMap)];
        foreach (var b in blocks.Where(b => b.HasMap))
        {
            var source = (IAttentionSource)b.Module;
            var pairwise = b.Module as IPairwiseFeatures;
            _restore.Add((source, source.CaptureAttention, pairwise?.CaptureFeatures ?? false));
            source.CaptureAttention = true;
            if (pairwise is not null) pairwise.CaptureFeatures = true;
        }
    }

    public IReadOnlyList<PairwiseMapAnalysis> Pairwise { get; }
    public IReadOnlyList<PoolingMapAnalysis> Pooling { get; }

    /// <summary>Attention blocks that have no spatial map (SE, split attention...): listed, not analysed.</summary>
    public IReadOnlyList<AttentionBlock> WithoutMap { get; }

    /// <summary>The images analysed so far.</summary>
    public int Images { get; private set; }

    /// <summary>
    /// Runs the model on <paramref name="images"/> [N, C, H, W] (normalized as the model expects) and measures it;
    /// <paramref name="display"/> holds the same N images as 8-bit pictures of size H x W, for drawing, and
    /// <paramref name="regions"/>, when given, each image's pixels of interest (H x W, row by row: a scene's objects),
    /// on which the pooling maps' weight is measured (<see cref="PoolingMapAnalysis.RegionMass"/>).
    /// </summary>
    public void Add(Tensor images, IReadOnlyList<Image8> display, IReadOnlyList<bool[]>? regions = null)
    {
        var s = images.Shape;
        if (s.Rank != 4 || display.Count != s[0] || display.Any(d => d.Height != s[2] || d.Width != s[3]))
            throw new ArgumentException($"AttentionAnalysis.Add: images {s} need {(s.Rank == 4 ? s[0] : 0)} display images of {(s.Rank == 4 ? $"{s[3]}x{s[2]}" : "their size")}, got [{string.Join(", ", display.Select(d => $"{d.Width}x{d.Height}"))}].");
        if (regions is not null && (regions.Count != s[0] || regions.Any(r => r.Length != s[2] * s[3])))
            throw new ArgumentException($"AttentionAnalysis.Add: images {s} need {s[0]} regions of {s[2] * s[3]} pixels, got [{string.Join(", ", regions.Select(r => r.Length))}].");
        bool training = _model.Training;
        _model.Eval();
        try
        {
            using (Tensor.Scope())
            using (GradMode.NoGrad())
                _model.Forward(images);
            foreach (var p in Pairwise) p.Add(display, Images);
            foreach (var p in Pooling) p.Add(display, Images, regions);
            Images += s[0];
        }
        finally
        {
            _model.Train(training);
        }
    }

    public void Dispose()
    {
        foreach (var (source, attention, features) in _restore)
        {
            source.CaptureAttention = attention;
            if (source is IPairwiseFeatures pairwise) pairwise.CaptureFeatures = features;
        }
        _restore.Clear();
    }
}
