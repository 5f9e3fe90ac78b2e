using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Data;
using ContextNets.NN;

namespace ContextNets.Analysis;

/// <summary>
/// Attention analysis of a video network's NL blocks, clip by clip. Each block works on the clip folded into the map
/// [N, C, T*H, W], so its attention relates every position of every frame to the (pooled) positions of all frames:
/// <see cref="PairwiseMapAnalysis"/> measures GCNet's Table-1 distances over those T*H*W positions as it does over an
/// image's, and <see cref="ClipAttentionStrip"/> keeps, for the first clips, a few queries' maps over the whole clip.
/// A GC block pools the folded clip too, with one map over all its T*H*W positions: <see cref="Contexts"/> keeps that
/// map's entropy, and a strip of it is drawn for the first clips.
/// The frames a block sees are <see cref="FramesAt"/> of the clip's (the network's temporal pooling), which the
/// caller gives, since the folded map does not tell T from H.
/// </summary>
public sealed class ClipAttentionAnalysis : IDisposable
{
    private readonly Module _model;
    private readonly List<NonLocal> _blocks;
    private readonly List<GlobalContext> _contexts;
    private readonly int _queries, _show;

    /// <param name="model">A video network with NL or GC blocks.</param>
    /// <param name="framesAt">The frames at the NL blocks for a clip of T frames (T / 2 in the Non-local paper's networks).</param>
    /// <param name="queries">Query frames per clip drawn, spread over the clip.</param>
    /// <param name="show">How many of the first clips are drawn.</param>
    public ClipAttentionAnalysis(Module model, Func<int, int> framesAt, int queries, int show)
    {
        var blocks = AttentionBlocks.Find(model).Where(b => b.Module is NonLocal).ToList();
        var contexts = AttentionBlocks.Find(model).Where(b => b.Module is GlobalContext { Pooling: ContextPooling.Attention }).ToList();
        if (blocks.Count + contexts.Count == 0)
            throw new ArgumentException($"{model.GetType().Name} has no NL or GC block: the clip analysis reads their attention maps.");
        _model = model;
        FramesAt = framesAt;
        _queries = queries;
        _show = show;
        _blocks = [.. blocks.Select(b => (NonLocal)b.Module)];
        Distances = [.. blocks.Select(b => new PairwiseMapAnalysis(b, queries: 1, show: 0))];
        _contexts = [.. contexts.Select(b => (GlobalContext)b.Module)];
        Contexts = [.. contexts.Select(b => new PoolingMapAnalysis(b, show: 0))];
        foreach (var nl in _blocks) nl.CaptureAttention = nl.CaptureFeatures = true;
        foreach (var gc in _contexts) gc.CaptureAttention = true;
    }

    public Func<int, int> FramesAt { get; }

    /// <summary>Table 1's distances per NL block, over all positions of the clip.</summary>
    public IReadOnlyList<PairwiseMapAnalysis> Distances { get; }

    /// <summary>The GC blocks' one map per clip over all T*H*W positions: its entropy.</summary>
    public IReadOnlyList<PoolingMapAnalysis> Contexts { get; }

    /// <summary>The strips drawn, per block: one per shown clip.</summary>
    public List<(string block, int clip, ClipAttentionStrip strip)> Strips { get; } = [];

    public int Clips { get; private set; }

    /// <summary>Runs the model on <paramref name="clips"/> [N, C, T, H, W]; <paramref name="frames"/> are the N clips' frames as pictures, for drawing.</summary>
    public void Add(Tensor clips, IReadOnlyList<Image8[]> frames)
    {
        if (clips.Rank != 5 || frames.Count != clips.Shape[0])
            throw new ArgumentException($"ClipAttentionAnalysis.Add: clips {clips.Shape} need one list of frames per clip, got {frames.Count}.");
        int t = FramesAt(clips.Shape[2]);
        bool training = _model.Training;
        _model.Eval();
        try
        {
            using (Tensor.Scope())
            using (GradMode.NoGrad())
                _model.Forward(clips);
            for (int b = 0; b < _blocks.Count; b++)
            {
                Distances[b].Add([], Clips);
                for (int i = 0; i < frames.Count && Clips + i < _show; i++)
                    Strips.Add((Distances[b].Block.Name, Clips + i, ClipAttentionStrip.Of(_blocks[b], i, t, _queries, frames[i])));
            }
            for (int b = 0; b < _contexts.Count; b++)
            {
                var weights = _contexts[b].LastAttention ?? throw new InvalidOperationException($"{Contexts[b].Block.Name} kept no attention.");
                Contexts[b].Add([.. frames.Select(f => f[0])], Clips);
                for (int i = 0; i < frames.Count && Clips + i < _show; i++)
                    Strips.Add((Contexts[b].Block.Name, Clips + i, ClipAttentionStrip.OfContext(weights, i, t, frames[i])));
            }
            Clips += clips.Shape[0];
        }
        finally
        {
            _model.Train(training);
        }
    }

    public void Dispose()
    {
        foreach (var nl in _blocks) nl.CaptureAttention = nl.CaptureFeatures = false;
        foreach (var gc in _contexts) gc.CaptureAttention = false;
    }
}
