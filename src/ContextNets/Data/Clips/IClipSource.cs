namespace ContextNets.Data.Clips;

/// <summary>
/// Labelled clips that a <see cref="DataLoader"/> batches as [N, C, T, H, W]: every clip has the same channels, frames
/// and size, and is written straight into its slot of the batch tensor (in either clip layout), so that a clip is never
/// staged in a second buffer. A source that augments draws every choice from the <see cref="Rng"/> it is given, which
/// the loader derives from (seed, epoch, index): the same clip comes out whatever the timing.
/// </summary>
public interface IClipSource
{
    int Count { get; }

    /// <summary>The class names; a label is an index into this list.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>The label of clip <paramref name="index"/>, without decoding it.</summary>
    int Label(int index);

    int Channels { get; }
    int Frames { get; }
    int Height { get; }
    int Width { get; }

    /// <summary>Writes clip <paramref name="index"/> as floats at <paramref name="dst"/> with the given element strides. Safe to call from any thread.</summary>
    unsafe void Write(int index, Rng rng, float* dst, long strideC, long strideT, long strideH, long strideW);
}
