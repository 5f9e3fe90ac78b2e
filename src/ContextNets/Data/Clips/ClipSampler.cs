using ContextNets.Data.Transforms;

namespace ContextNets.Data.Clips;

/// <summary>
/// Takes <see cref="Frames"/> frames at <see cref="Stride"/> from a clip's frame files and makes them a
/// <see cref="Size"/> x <see cref="Size"/> clip. In training the start frame is drawn uniformly, the shorter side is
/// scaled to a side drawn from [Size, 1.25 Size], a Size-square window is cropped at a random place and the clip is
/// flipped left-right with probability 1/2; in evaluation the span is centred in the clip, the shorter side scaled to
/// Size and the centre cropped, with no draw at all. Every frame of a clip gets the same scale, crop and flip, so that
/// motion is kept. Only the sampled frames are decoded; they must all have one size.
/// </summary>
public sealed class ClipSampler
{
    /// <summary>The largest training scale, as a multiple of <see cref="Size"/>.</summary>
    public const double MaxScale = 1.25;

    private readonly Normalize _normalize;

    public ClipSampler(int frames, int stride, int size, bool train, Normalize normalize)
    {
        if (frames < 1 || stride < 1 || size < 1) throw new ArgumentException($"A clip sampler needs frames, stride and size of at least 1, not {frames}, {stride} and {size}.");
        if (normalize.Channels is not (1 or 3)) throw new ArgumentException($"Clips are read as 1 or 3 channels, not {normalize.Channels}.");
        Frames = frames;
        Stride = stride;
        Size = size;
        Train = train;
        _normalize = normalize;
    }

    public int Frames { get; }
    public int Stride { get; }
    public int Size { get; }
    public bool Train { get; }
    public int Channels => _normalize.Channels;

    /// <summary>The frames a sample spans, first to last: (Frames - 1) x Stride + 1.</summary>
    public int Span => (Frames - 1) * Stride + 1;

    /// <summary>The positions of the sampled frames in a clip of <paramref name="available"/> frames.</summary>
    public int[] FrameIndices(int available, Rng rng, string clip)
    {
        if (available < Span)
            throw new InvalidDataException($"The clip {clip} has {available} frames, fewer than the {Span} that {Frames} frames at stride {Stride} need.");
        int start = Train ? rng.NextInt(available - Span + 1) : (available - Span) / 2;
        return [.. Enumerable.Range(0, Frames).Select(t => start + t * Stride)];
    }

    /// <summary>Decodes the sampled frames of one clip and writes them, augmented in training, as [C, T, H, W] at <paramref name="dst"/>.</summary>
    public unsafe void Write(IReadOnlyList<string> files, string clip, Rng rng, float* dst, long strideC, long strideT, long strideH, long strideW)
    {
        var frames = FrameIndices(files.Count, rng, clip).Select(i => ImageDecoder.Load(files[i], Channels)).ToArray();
        var first = frames[0];
        for (int t = 1; t < frames.Length; t++)
            if (frames[t].Width != first.Width || frames[t].Height != first.Height)
                throw new InvalidDataException($"The clip {clip} mixes frame sizes: {Path.GetFileName(files[0])} is {first.Width}x{first.Height}, a later frame {frames[t].Width}x{frames[t].Height}.");
        var (scaled, top, left, flip) = Geometry(first.Width, first.Height, rng);
        for (int t = 0; t < frames.Length; t++)
        {
            var frame = Resize.Run(frames[t], scaled.height, scaled.width);
            frame = Crop.Run(frame, top, left, Size, Size);
            if (flip) frame = RandomHorizontalFlip.Flip(frame);
            _normalize.Write(frame, dst + t * strideT, strideC, strideH, strideW);
        }
    }

    /// <summary>The clip's scaled size, its crop window's corner and whether it is flipped: drawn in training, centred otherwise.</summary>
    private ((int height, int width) scaled, int top, int left, bool flip) Geometry(int width, int height, Rng rng)
    {
        int shorter = Train ? rng.NextInt(Size, (int)Math.Floor(Size * MaxScale) + 1) : Size;
        bool wide = width >= height;
        int other = (int)((long)shorter * (wide ? width : height) / (wide ? height : width));
        var scaled = wide ? (height: shorter, width: other) : (height: other, width: shorter);
        if (!Train) return (scaled, CenterCrop.Offset(scaled.height, Size), CenterCrop.Offset(scaled.width, Size), false);
        int top = rng.NextInt(scaled.height - Size + 1), left = rng.NextInt(scaled.width - Size + 1);
        return (scaled, top, left, rng.Chance(0.5));
    }

    public override string ToString() =>
        $"{Frames} frames at stride {Stride}, {Size}x{Size}, " + (Train ? $"random start, scale [1, {MaxScale}], random crop and flip" : "centred span and crop");
}
