namespace ContextNets.Data.Clips;

/// <summary>
/// The clips of a <see cref="ClipFolder"/> as the sampler makes them: what the loader batches when a video network is
/// trained or evaluated on folders of frames. A clip shorter than the sampler's span is refused here, before any
/// training, naming the shortest clip.
/// </summary>
public sealed class FolderClips : IClipSource
{
    private readonly ClipFolder _folder;
    private readonly ClipSampler _sampler;

    public FolderClips(ClipFolder folder, ClipSampler sampler)
    {
        var (frames, clip) = folder.Shortest();
        if (frames < sampler.Span)
            throw new InvalidDataException($"The clip {clip} has {frames} frames, fewer than the {sampler.Span} that {sampler.Frames} frames at stride {sampler.Stride} need: lower the frames or the stride, or remove the clip.");
        _folder = folder;
        _sampler = sampler;
    }

    public int Count => _folder.Count;
    public IReadOnlyList<string> Classes => _folder.Classes;
    public int Label(int index) => _folder.Label(index);
    public int Channels => _sampler.Channels;
    public int Frames => _sampler.Frames;
    public int Height => _sampler.Size;
    public int Width => _sampler.Size;

    public unsafe void Write(int index, Rng rng, float* dst, long strideC, long strideT, long strideH, long strideW) =>
        _sampler.Write(_folder.FramesOf(index), _folder.PathOf(index), rng, dst, strideC, strideT, strideH, strideW);

    public override string ToString() => $"{_folder.Summary}; {_sampler}";
}
