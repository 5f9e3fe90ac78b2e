namespace ContextNets.Data.Clips;

/// <summary>
/// <see cref="MovingItemClips"/> as a clip source: one grey channel, values in [0, 1] as generated. Clip i is the same
/// every epoch (the generator is the augmentation: every clip is a new arrangement), so the loader's draw is not used.
/// </summary>
public sealed class GeneratedClips(MovingItemClips clips) : IClipSource
{
    public int Count => clips.Count;
    public IReadOnlyList<string> Classes => clips.Classes;
    public int Label(int index) => clips.Label(index);
    public int Channels => 1;
    public int Frames => clips.Frames;
    public int Height => clips.Side;
    public int Width => clips.Side;

    public unsafe void Write(int index, Rng rng, float* dst, long strideC, long strideT, long strideH, long strideW)
    {
        var clip = clips.Clip(index);
        int side = clips.Side, plane = side * side;
        for (int t = 0; t < Frames; t++)
        for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            dst[t * strideT + y * strideH + x * strideW] = clip[t * plane + y * side + x];
    }

    public override string ToString() => $"{Count} generated moving-item clips of {Frames} frames, {clips.Side}x{clips.Side}, {Classes.Count} classes";
}
