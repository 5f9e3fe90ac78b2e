using System.Runtime.InteropServices;

namespace ContextNets.Data;

/// <summary>
/// libpng's simplified read API (Debian's libpng16-16). png_image is passed
/// by pointer; its layout is checked against /usr/include/png.h in a test.
/// Errors inside libpng are caught by libpng itself (its own setjmp) and come
/// back as a zero return with a message in the struct, so a corrupt file
/// never unwinds through managed frames.
/// </summary>
internal static unsafe partial class PngNative
{
    public const string Library = "libpng16.so.16";
    public const string Package = "libpng16-16";
    public const uint ImageVersion = 1;

    public const uint FormatFlagAlpha = 0x01, FormatFlagColor = 0x02;
    public const uint FormatGray = 0, FormatGA = FormatFlagAlpha, FormatRgb = FormatFlagColor, FormatRgba = FormatFlagColor | FormatFlagAlpha;

    /// <summary>16-bit samples without gAMA/sRGB are taken as sRGB-encoded (as PIL does), not as linear.</summary>
    public const uint ImageFlag16BitSrgb = 0x04;

    public const int ImageSize = 104;

    [StructLayout(LayoutKind.Sequential)]
    public struct PngImage
    {
        public nint Opaque;
        public uint Version;
        public uint Width;
        public uint Height;
        public uint Format;
        public uint Flags;
        public uint ColormapEntries;
        public uint WarningOrError;
        public fixed byte Message[64];
    }

    [LibraryImport(Library)] public static partial int png_image_begin_read_from_memory(PngImage* image, void* memory, nuint size);
    [LibraryImport(Library)] public static partial int png_image_finish_read(PngImage* image, void* background, void* buffer, int rowStride, void* colormap);
    [LibraryImport(Library)] public static partial void png_image_free(PngImage* image);

    public static string MessageOf(PngImage* image) => Marshal.PtrToStringUTF8((nint)image->Message) ?? "";
}
