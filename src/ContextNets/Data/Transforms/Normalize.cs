namespace ContextNets.Data.Transforms;

/// <summary>
/// torchvision's ToTensor followed by Normalize: v = (pixel / 255 - mean[c]) / std[c],
/// computed in float32 as PyTorch does. It writes straight into a batch
/// tensor's memory in either layout (NCHW or channels-last), so a sample is
/// never staged in a second buffer.
/// </summary>
public sealed class Normalize
{
    private readonly float[] _mean, _std;

    public Normalize(float[] mean, float[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize needs one mean and one std per channel, got {mean.Length} means and {std.Length} stds.");
        foreach (var s in std)
            if (!(s > 0)) throw new ArgumentException($"Normalize: a standard deviation must be positive, got {s}.");
        _mean = (float[])mean.Clone();
        _std = (float[])std.Clone();
    }

    /// <summary>Only ToTensor: values in [0, 1].</summary>
    public static Normalize Unit(int channels) => new(new float[channels], Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>The ImageNet statistics torchvision's models are trained with.</summary>
    public static Normalize ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    public int Channels => _mean.Length;
    public IReadOnlyList<float> Mean => _mean;
    public IReadOnlyList<float> Std => _std;

    public float Value(byte pixel, int channel) => (pixel / 255f - _mean[channel]) / _std[channel];

    /// <summary>Writes the image at dst with the given element strides for C, H and W.</summary>
    public unsafe void Write(Image8 image, float* dst, long strideC, long strideH, long strideW)
    {
        if (image.Channels != Channels)
            throw new ArgumentException($"Normalize has statistics for {Channels} channels, but the image has {image.Channels}.");
        int c = Channels;
        var px = image.Pixels;
        for (int ch = 0; ch < c; ch++)
        {
            float mean = _mean[ch], std = _std[ch];
            for (int y = 0; y < image.Height; y++)
            {
                float* row = dst + ch * strideC + y * strideH;
                int src = y * image.Width * c + ch;
                for (int x = 0; x < image.Width; x++, src += c) row[x * strideW] = (px[src] / 255f - mean) / std;
            }
        }
    }

    /// <summary>The values in CHW order (for tests and single images).</summary>
    public unsafe float[] ToChw(Image8 image)
    {
        var result = new float[Channels * image.Height * image.Width];
        fixed (float* p = result) Write(image, p, (long)image.Height * image.Width, image.Width, 1);
        return result;
    }

    public override string ToString() => $"Normalize(mean [{string.Join(", ", _mean)}], std [{string.Join(", ", _std)}])";
}
