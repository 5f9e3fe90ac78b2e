using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ContextNets.Data;

/// <summary>
/// Decodes PNG and JPEG files (recognized by their first bytes, not their
/// names) through Debian's libpng and libturbojpeg. The header is read and
/// the size checked before the pixels are allocated; a corrupt or truncated
/// file is an InvalidDataException that names it.
/// </summary>
public static unsafe class ImageDecoder
{
    /// <summary>The largest file read (256 MiB); the pixel limit is <see cref="Image8.MaxPixels"/>.</summary>
    public const long MaxFileBytes = 256L << 20;

    private static readonly Lazy<bool> Png = new(() => Require(PngNative.Library, PngNative.Package, "PNG"));
    private static readonly Lazy<bool> Jpeg = new(() => Require(JpegNative.Library, JpegNative.Package, "JPEG"));

    // The IEND chunk's type and CRC, which every whole PNG file ends with.
    private static ReadOnlySpan<byte> PngEnd => [(byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];

    public static bool IsPng(ReadOnlySpan<byte> d) => d.Length >= 8 && d[0] == 0x89 && d[1] == (byte)'P' && d[2] == (byte)'N' && d[3] == (byte)'G';

    public static bool IsJpeg(ReadOnlySpan<byte> d) => d.Length >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;

    /// <summary>Reads and decodes a file into an image of <paramref name="channels"/> channels (1: gray, 3: RGB).</summary>
    public static Image8 Load(string path, int channels = 3) => Decode(ReadFile(path), path, channels);

    /// <summary>Decodes PNG or JPEG bytes; <paramref name="name"/> is what error messages call the data.</summary>
    public static Image8 Decode(byte[] data, string name, int channels = 3)
    {
        if (channels != 1 && channels != 3) throw new ArgumentException($"Images are decoded to 1 or 3 channels, not {channels}.");
        Image8 image;
        if (IsPng(data)) image = DecodePng(data, name, channels);
        else if (IsJpeg(data)) image = DecodeJpeg(data, name, channels);
        else throw new InvalidDataException($"Image {name} is neither PNG nor JPEG (its first bytes are not a PNG or JPEG signature).");
        return image.WithChannels(channels);
    }

    /// <summary>
    /// The width and height a PNG or JPEG file declares, read from its header without decoding its pixels (a label-map
    /// folder checks every pair's sizes this way before training starts).
    /// </summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        var data = ReadFile(path);
        if (IsPng(data))
        {
            // A PNG starts with its IHDR chunk: width and height are its first two big-endian words.
            if (data.Length < 24 || !data.AsSpan(12, 4).SequenceEqual("IHDR"u8)) throw Corrupt(path, "PNG", "it does not start with its IHDR chunk");
            uint w = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(16)), h = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(20));
            CheckSize(path, w, h);
            return ((int)w, (int)h);
        }
        if (!IsJpeg(data)) throw new InvalidDataException($"Image {path} is neither PNG nor JPEG (its first bytes are not a PNG or JPEG signature).");
        return WithJpegHeader(data, path, (_, w, h, _) => (w, h));
    }

    /// <summary>A file's bytes, refused with a one-line error when it cannot be read or is over <see cref="MaxFileBytes"/>.</summary>
    internal static byte[] ReadFile(string path)
    {
        long length;
        try
        {
            length = new FileInfo(path).Length;
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"Image {path} could not be read: {e.Message}", e);
        }
        if (length > MaxFileBytes) throw new InvalidDataException($"Image {path} is {length} bytes, more than the {MaxFileBytes >> 20} MiB limit.");
        return File.ReadAllBytes(path);
    }

    private static Image8 DecodePng(byte[] data, string name, int channels)
    {
        _ = Png.Value;
        var img = new PngNative.PngImage { Version = PngNative.ImageVersion };
        fixed (byte* p = data)
        {
            try
            {
                if (PngNative.png_image_begin_read_from_memory(&img, p, (nuint)data.Length) == 0)
                    throw Corrupt(name, "PNG", PngNative.MessageOf(&img));
                // libpng stops after the pixel data, so a file cut just after it would pass without this.
                if (data.AsSpan().LastIndexOf(PngEnd) < 0) throw Corrupt(name, "PNG", "the file ends without its IEND chunk");
                CheckSize(name, img.Width, img.Height);
                bool alpha = (img.Format & PngNative.FormatFlagAlpha) != 0;
                // A gray file stays gray when gray is asked for; anything else is read as RGB, and made gray our way (PIL's luma).
                bool gray = (img.Format & PngNative.FormatFlagColor) == 0 && channels == 1;
                img.Format = gray ? (alpha ? PngNative.FormatGA : PngNative.FormatGray) : (alpha ? PngNative.FormatRgba : PngNative.FormatRgb);
                img.Flags |= PngNative.ImageFlag16BitSrgb;
                int samples = (gray ? 1 : 3) + (alpha ? 1 : 0);
                int w = (int)img.Width, h = (int)img.Height;
                var buffer = new byte[(long)w * h * samples];
                fixed (byte* b = buffer)
                    if (PngNative.png_image_finish_read(&img, null, b, w * samples, null) == 0)
                        throw Corrupt(name, "PNG", PngNative.MessageOf(&img));
                // PIL's convert('RGB') drops alpha without compositing; so do we.
                return new Image8(w, h, gray ? 1 : 3, alpha ? DropAlpha(buffer, samples) : buffer);
            }
            finally
            {
                PngNative.png_image_free(&img);
            }
        }
    }

    private static Image8 DecodeJpeg(byte[] data, string name, int channels) => WithJpegHeader(data, name, (handle, w, h, colorspace) =>
    {
        bool gray = colorspace == JpegNative.ColorspaceGray && channels == 1;
        int samples = gray ? 1 : 3;
        var buffer = new byte[(long)w * h * samples];
        int format = gray ? JpegNative.PixelGray : JpegNative.PixelRgb;
        fixed (byte* p = data)
        fixed (byte* b = buffer)
            if (!Decompress(handle, p, data.Length, b, w, h, samples, format, out var problem)) throw Corrupt(name, "JPEG", problem);
        return new Image8(w, h, samples, buffer);
    });

    /// <summary>Reads a JPEG's header (its size checked) and hands the decompressor, the size and the colour space to <paramref name="then"/>.</summary>
    private static T WithJpegHeader<T>(byte[] data, string name, Func<nint, int, int, int, T> then)
    {
        _ = Jpeg.Value;
        nint handle = JpegNative.tjInitDecompress();
        if (handle == 0) throw new InvalidOperationException($"TurboJPEG could not create a decompressor (decoding {name}).");
        try
        {
            int w, h, subsamp, colorspace;
            fixed (byte* p = data)
                if (JpegNative.tjDecompressHeader3(handle, p, (nuint)data.Length, &w, &h, &subsamp, &colorspace) != 0)
                    throw Corrupt(name, "JPEG", JpegNative.ErrorOf(handle));
            CheckSize(name, (uint)w, (uint)h);
            return then(handle, w, h, colorspace);
        }
        finally
        {
            JpegNative.tjDestroy(handle);
        }
    }

    /// <summary>
    /// Decodes, stopping at the first warning to look at it: a truncated file ("premature end") is refused, as PIL
    /// refuses it; other warnings (stray bytes before a marker) are tolerated, as PIL tolerates them, by decoding again
    /// without stopping. Errors are always fatal.
    /// </summary>
    private static bool Decompress(nint handle, byte* src, int length, byte* dst, int w, int h, int samples, int format, out string problem)
    {
        problem = "";
        const int strict = JpegNative.FlagStopOnWarning | JpegNative.FlagLimitScans;
        if (JpegNative.tjDecompress2(handle, src, (nuint)length, dst, w, w * samples, h, format, strict) == 0) return true;
        problem = JpegNative.ErrorOf(handle);
        bool warning = JpegNative.tjGetErrorCode(handle) == JpegNative.ErrorWarning;
        if (!warning || problem.Contains("premature end", StringComparison.OrdinalIgnoreCase)) return false;
        return JpegNative.tjDecompress2(handle, src, (nuint)length, dst, w, w * samples, h, format, JpegNative.FlagLimitScans) == 0
               || JpegNative.tjGetErrorCode(handle) == JpegNative.ErrorWarning;
    }

    private static void CheckSize(string name, uint w, uint h)
    {
        if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue || (ulong)w * h > Image8.MaxPixels)
            throw new InvalidDataException($"Image {name} declares a size of {w}x{h} pixels; images must be non-empty and at most {Image8.MaxPixels >> 20} MP.");
    }

    private static byte[] DropAlpha(byte[] src, int samples)
    {
        int colors = samples - 1, n = src.Length / samples;
        var dst = new byte[n * colors];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < colors; c++) dst[i * colors + c] = src[i * samples + c];
        return dst;
    }

    private static InvalidDataException Corrupt(string name, string format, string message) =>
        new($"Image {name} is not a valid {format} file (truncated or corrupt): {(message.Length > 0 ? message : "the decoder gave no reason")}.");

    private static bool Require(string library, string package, string format)
    {
        if (NativeLibrary.TryLoad(library, out _)) return true;
        throw new NativeDependencyException(
            $"{format} decoding needs {library}, which was not found: install it with `sudo apt-get install {package}` (or run ./ctxnet, which installs it).");
    }
}
