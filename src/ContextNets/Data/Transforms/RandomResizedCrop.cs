namespace ContextNets.Data.Transforms;

/// <summary>
/// torchvision's RandomResizedCrop: up to 10 attempts draw an area fraction
/// uniformly in <c>scale</c> and a log-uniform aspect ratio in <c>ratio</c>,
/// w = round(sqrt(area * r)), h = round(sqrt(area / r)) (Python's round); the
/// first window that fits is placed uniformly (top, then left). Otherwise the
/// fallback is a center crop of the whole image clamped to the ratio range.
/// The window is then resized (bilinear, antialiased) to the output size.
/// </summary>
public sealed class RandomResizedCrop : IImageTransform
{
    public RandomResizedCrop(int height, int width, double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"RandomResizedCrop needs a positive size, not {height}x{width}.");
        if (!(0 < minScale && minScale <= maxScale) || !(0 < minRatio && minRatio <= maxRatio))
            throw new ArgumentException($"RandomResizedCrop: scale ({minScale}, {maxScale}) and ratio ({minRatio}, {maxRatio}) must be positive, increasing ranges.");
        Height = height;
        Width = width;
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
    }

    public RandomResizedCrop(int size) : this(size, size) { }

    public int Height { get; }
    public int Width { get; }
    public double MinScale { get; }
    public double MaxScale { get; }
    public double MinRatio { get; }
    public double MaxRatio { get; }

    public Image8 Apply(Image8 image, Rng rng)
    {
        var (top, left, h, w) = Window(image.Height, image.Width, rng);
        return Resize.Run(Crop.Run(image, top, left, h, w), Height, Width);
    }

    /// <summary>The crop window (top, left, height, width), as torchvision's get_params.</summary>
    public (int top, int left, int height, int width) Window(int height, int width, Rng rng)
    {
        double area = (double)height * width;
        double logLo = Math.Log(MinRatio), logHi = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * rng.Uniform(MinScale, MaxScale);
            double aspect = Math.Exp(rng.Uniform(logLo, logHi));
            int w = Crop.RoundHalfEven(Math.Sqrt(target * aspect));
            int h = Crop.RoundHalfEven(Math.Sqrt(target / aspect));
            if (0 < w && w <= width && 0 < h && h <= height)
            {
                int top = rng.NextInt(height - h + 1);
                int left = rng.NextInt(width - w + 1);
                return (top, left, h, w);
            }
        }
        double inRatio = (double)width / height;
        int fw = width, fh = height;
        if (inRatio < MinRatio) fh = Crop.RoundHalfEven(fw / MinRatio);
        else if (inRatio > MaxRatio) fw = Crop.RoundHalfEven(fh * MaxRatio);
        return ((height - fh) / 2, (width - fw) / 2, fh, fw);
    }

    public override string ToString() => $"RandomResizedCrop({Height}x{Width}, scale ({MinScale}, {MaxScale}), ratio ({MinRatio:G4}, {MaxRatio:G4}))";
}
