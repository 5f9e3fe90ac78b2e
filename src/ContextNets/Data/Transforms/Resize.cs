namespace ContextNets.Data.Transforms;

/// <summary>
/// Bilinear resize as torchvision's Resize on tensors with antialias=True
/// (which is also PIL's BILINEAR): a separable triangle filter whose support
/// grows with the downscaling factor. When enlarging, it is exactly
/// bilinear interpolation with align_corners=False (PyTorch's interpolate),
/// edges clamped. The intermediate pass stays in float and the result is
/// rounded to the nearest integer (PIL rounds its fixed-point sums, so the two
/// may differ by 1 in a few pixels). With antialias off, shrinking is plain
/// bilinear too (aliasing, as interpolate(antialias=False)).
/// </summary>
public sealed class Resize : IImageTransform
{
    /// <summary>Resizes to exactly height x width.</summary>
    public Resize(int height, int width, bool antialias = true)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"Resize needs a positive size, not {height}x{width}.");
        Height = height;
        Width = width;
        Antialias = antialias;
    }

    /// <summary>Resizes so that the shorter side is <paramref name="shorter"/>, keeping the aspect (torchvision's Resize(int)).</summary>
    public static ShorterSide ToShorterSide(int shorter, bool antialias = true) => new(shorter, antialias);

    public int Height { get; }
    public int Width { get; }
    public bool Antialias { get; }

    public Image8 Apply(Image8 image, Rng rng) => Run(image, Height, Width, Antialias);

    public override string ToString() => $"Resize({Height}x{Width})";

    public static Image8 Run(Image8 src, int height, int width, bool antialias = true)
    {
        if (src.Width == width && src.Height == height) return src;
        int c = src.Channels;
        var (xStart, xCount, xWeights, xTaps) = Coefficients(src.Width, width, antialias);
        var (yStart, yCount, yWeights, yTaps) = Coefficients(src.Height, height, antialias);
        // Horizontal pass: src.Height rows of the new width, in float.
        var mid = new float[src.Height * width * c];
        var s = src.Pixels;
        for (int y = 0; y < src.Height; y++)
            for (int x = 0; x < width; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    double acc = 0;
                    for (int k = 0; k < xCount[x]; k++) acc += xWeights[x * xTaps + k] * s[(y * src.Width + xStart[x] + k) * c + ch];
                    mid[(y * width + x) * c + ch] = (float)acc;
                }
        var dst = new Image8(width, height, c);
        var d = dst.Pixels;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    double acc = 0;
                    for (int k = 0; k < yCount[y]; k++) acc += yWeights[y * yTaps + k] * mid[((yStart[y] + k) * width + x) * c + ch];
                    d[(y * width + x) * c + ch] = ToByte(acc);
                }
        return dst;
    }

    internal static byte ToByte(double v) => (byte)Math.Clamp(Math.Floor(v + 0.5), 0, 255);

    /// <summary>For each output index: the first input index, the number of taps, and the normalized weights (padded to the widest window).</summary>
    internal static (int[] start, int[] count, double[] weights, int taps) Coefficients(int inSize, int outSize, bool antialias)
    {
        double scale = (double)inSize / outSize;
        double filterScale = antialias ? Math.Max(scale, 1.0) : 1.0;
        double support = filterScale;
        int taps = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new double[outSize * taps];
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale;
            int lo = Math.Max((int)Math.Floor(center - support + 0.5), 0);
            int hi = Math.Min((int)Math.Floor(center + support + 0.5), inSize);
            int n = Math.Min(hi - lo, taps);
            double total = 0;
            for (int k = 0; k < n; k++)
            {
                double w = Math.Max(0, 1 - Math.Abs((lo + k - center + 0.5) / filterScale));
                weights[i * taps + k] = w;
                total += w;
            }
            for (int k = 0; k < n; k++) weights[i * taps + k] = total > 0 ? weights[i * taps + k] / total : 0;
            start[i] = lo;
            count[i] = n;
        }
        return (start, count, weights, taps);
    }

    /// <summary>Resize with the shorter side set, the longer scaled to keep the aspect (truncated, as torchvision).</summary>
    public sealed class ShorterSide(int shorter, bool antialias) : IImageTransform
    {
        public Image8 Apply(Image8 image, Rng rng)
        {
            bool wide = image.Width >= image.Height;
            int shortIn = wide ? image.Height : image.Width, longIn = wide ? image.Width : image.Height;
            int longOut = (int)((long)shorter * longIn / shortIn);
            return wide ? Run(image, shorter, longOut, antialias) : Run(image, longOut, shorter, antialias);
        }

        public override string ToString() => $"Resize(shorter {shorter})";
    }
}
