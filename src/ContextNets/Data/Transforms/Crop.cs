namespace ContextNets.Data.Transforms;

/// <summary>Crops, with zeros where the window leaves the image (what padding with fill 0 and then cropping gives).</summary>
public static class Crop
{
    /// <summary>The height x width window whose top-left corner is (top, left) in the image's coordinates (either may be negative).</summary>
    public static Image8 Run(Image8 src, int top, int left, int height, int width)
    {
        var dst = new Image8(width, height, src.Channels);
        int c = src.Channels;
        int x0 = Math.Max(0, -left), x1 = Math.Min(width, src.Width - left);
        if (x1 <= x0) return dst;
        for (int y = 0; y < height; y++)
        {
            int sy = top + y;
            if (sy < 0 || sy >= src.Height) continue;
            Array.Copy(src.Pixels, (sy * src.Width + left + x0) * c, dst.Pixels, (y * width + x0) * c, (x1 - x0) * c);
        }
        return dst;
    }

    /// <summary>Python's round(): halves go to the even neighbour.</summary>
    internal static int RoundHalfEven(double v) => (int)Math.Round(v, MidpointRounding.ToEven);
}

/// <summary>
/// torchvision's CenterCrop: top = round((H - h) / 2), left = round((W - w) / 2);
/// a crop larger than the image is padded with zeros, (size - crop) // 2 before.
/// </summary>
public sealed class CenterCrop(int height, int width) : IImageTransform
{
    public CenterCrop(int size) : this(size, size) { }

    public Image8 Apply(Image8 image, Rng rng) =>
        Crop.Run(image, Offset(image.Height, height), Offset(image.Width, width), height, width);

    internal static int Offset(int size, int crop) => crop > size ? -((crop - size) / 2) : Crop.RoundHalfEven((size - crop) / 2.0);

    public override string ToString() => $"CenterCrop({height}x{width})";
}

/// <summary>
/// torchvision's RandomCrop(size, padding): the image is padded with
/// <c>padding</c> zeros on every side, then a window is taken at
/// top = randint(0, H + 2p - h + 1), left = randint(0, W + 2p - w + 1),
/// drawn in that order (no draw when the window fills the padded image).
/// </summary>
public sealed class RandomCrop : IImageTransform
{
    public RandomCrop(int height, int width, int padding = 0)
    {
        if (height <= 0 || width <= 0 || padding < 0) throw new ArgumentException($"RandomCrop needs a positive size and padding >= 0, not {height}x{width} with padding {padding}.");
        Height = height;
        Width = width;
        Padding = padding;
    }

    public RandomCrop(int size, int padding = 0) : this(size, size, padding) { }

    public int Height { get; }
    public int Width { get; }
    public int Padding { get; }

    public Image8 Apply(Image8 image, Rng rng)
    {
        var (top, left) = Offsets(image.Height, image.Width, rng);
        return Crop.Run(image, top - Padding, left - Padding, Height, Width);
    }

    /// <summary>The window's corner in the padded image.</summary>
    internal (int top, int left) Offsets(int imageHeight, int imageWidth, Rng rng)
    {
        int h = imageHeight + 2 * Padding, w = imageWidth + 2 * Padding;
        if (h < Height || w < Width)
            throw new ArgumentException($"RandomCrop of {Height}x{Width} does not fit a {imageHeight}x{imageWidth} image padded by {Padding}.");
        if (h == Height && w == Width) return (0, 0);
        int top = rng.NextInt(h - Height + 1);
        int left = rng.NextInt(w - Width + 1);
        return (top, left);
    }

    public override string ToString() => $"RandomCrop({Height}x{Width}, padding {Padding})";
}

/// <summary>torchvision's RandomHorizontalFlip: mirrors left-right with probability p (one uniform draw, flip when below p).</summary>
public sealed class RandomHorizontalFlip(double p = 0.5) : IImageTransform
{
    public Image8 Apply(Image8 image, Rng rng) => rng.NextDouble() < p ? Flip(image) : image;

    public static Image8 Flip(Image8 src)
    {
        var dst = src.Blank();
        int c = src.Channels, w = src.Width;
        for (int y = 0; y < src.Height; y++)
            for (int x = 0; x < w; x++)
                Array.Copy(src.Pixels, (y * w + x) * c, dst.Pixels, (y * w + (w - 1 - x)) * c, c);
        return dst;
    }

    public override string ToString() => $"RandomHorizontalFlip({p})";
}
