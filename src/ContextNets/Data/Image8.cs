namespace ContextNets.Data;

/// <summary>
/// An 8-bit image in HWC order (rows top to bottom, pixels left to right,
/// channels interleaved), with 1 (gray) or 3 (RGB) channels: what a decoder
/// gives and what the augmentations work on, as PIL images are for
/// torchvision. It becomes float only at the end (<see cref="Transforms.Normalize"/>).
/// </summary>
public sealed class Image8
{
    /// <summary>The most pixels an image may have (64 MP): a larger one is taken for a hostile or corrupt file.</summary>
    public const long MaxPixels = 64L << 20;

    public Image8(int width, int height, int channels, byte[]? pixels = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"An image must have a positive size, not {width}x{height}.");
        if (channels != 1 && channels != 3) throw new ArgumentException($"An image has 1 or 3 channels, not {channels}.");
        if ((long)width * height > MaxPixels) throw new ArgumentException($"A {width}x{height} image is larger than the {MaxPixels >> 20} MP limit.");
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels ?? new byte[width * height * channels];
        if (Pixels.Length != width * height * channels)
            throw new ArgumentException($"{Pixels.Length} bytes do not fill a {width}x{height}x{channels} image.");
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }

    /// <summary>The samples, HWC.</summary>
    public byte[] Pixels { get; }

    public int Stride => Width * Channels;

    public byte this[int y, int x, int c = 0]
    {
        get => Pixels[(y * Width + x) * Channels + c];
        set => Pixels[(y * Width + x) * Channels + c] = value;
    }

    public Image8 Clone() => new(Width, Height, Channels, (byte[])Pixels.Clone());

    /// <summary>A new image of the same size and channels, zero-filled.</summary>
    public Image8 Blank() => new(Width, Height, Channels);

    public override string ToString() => $"Image8 {Width}x{Height}x{Channels}";

    /// <summary>PIL's RGB to L conversion (ITU-R 601-2 luma, fixed point with rounding).</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>This image with <paramref name="channels"/> channels: gray to RGB repeats the value, RGB to gray is PIL's luma.</summary>
    public Image8 WithChannels(int channels)
    {
        if (channels == Channels) return this;
        var result = new Image8(Width, Height, channels);
        var src = Pixels;
        var dst = result.Pixels;
        int n = Width * Height;
        if (channels == 3)
            for (int i = 0; i < n; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
        else
            for (int i = 0; i < n; i++) dst[i] = Luma(src[3 * i], src[3 * i + 1], src[3 * i + 2]);
        return result;
    }
}
