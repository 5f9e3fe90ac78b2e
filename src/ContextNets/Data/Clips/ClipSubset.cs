namespace ContextNets.Data.Clips;

/// <summary>Some clips of a source, by index, with the same classes and clip shape (a hold-out part, the clips an analysis picks).</summary>
public sealed class ClipSubset : IClipSource
{
    private readonly IClipSource _source;
    private readonly int[] _indices;

    public ClipSubset(IClipSource source, int[] indices)
    {
        foreach (var i in indices)
            if ((uint)i >= (uint)source.Count) throw new ArgumentException($"ClipSubset index {i} is outside the source's {source.Count} clips.");
        _source = source;
        _indices = (int[])indices.Clone();
    }

    public int Count => _indices.Length;
    public IReadOnlyList<string> Classes => _source.Classes;
    public int Label(int index) => _source.Label(_indices[index]);
    public int Channels => _source.Channels;
    public int Frames => _source.Frames;
    public int Height => _source.Height;
    public int Width => _source.Width;

    public unsafe void Write(int index, Rng rng, float* dst, long strideC, long strideT, long strideH, long strideW) =>
        _source.Write(_indices[index], rng, dst, strideC, strideT, strideH, strideW);

    public override string ToString() => $"{Count} of: {_source}";
}
