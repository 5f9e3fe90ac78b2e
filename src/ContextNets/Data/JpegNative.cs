using System.Runtime.InteropServices;

namespace ContextNets.Data;

/// <summary>
/// The TurboJPEG API of Debian's libturbojpeg0. Like libpng, it traps
/// libjpeg's errors itself and returns -1 with a message, so a corrupt file
/// cannot crash the process.
/// </summary>
internal static unsafe partial class JpegNative
{
    public const string Library = "libturbojpeg.so.0";
    public const string Package = "libturbojpeg0";

    public const int PixelRgb = 0, PixelGray = 6;
    public const int ColorspaceGray = 2;

    /// <summary>Stops at the first warning, so that it can be looked at (a truncated file warns, then decodes gray).</summary>
    public const int FlagStopOnWarning = 8192;

    public const int ErrorWarning = 0;

    /// <summary>Refuses progressive files with absurd scan counts, which can take minutes to decode (a known denial of service).</summary>
    public const int FlagLimitScans = 32768;

    [LibraryImport(Library)] public static partial nint tjInitDecompress();
    [LibraryImport(Library)] public static partial int tjDecompressHeader3(nint handle, byte* jpegBuf, nuint jpegSize, int* width, int* height, int* subsamp, int* colorspace);
    [LibraryImport(Library)] public static partial int tjDecompress2(nint handle, byte* jpegBuf, nuint jpegSize, byte* dstBuf, int width, int pitch, int height, int pixelFormat, int flags);
    [LibraryImport(Library)] public static partial int tjDestroy(nint handle);
    [LibraryImport(Library)] public static partial byte* tjGetErrorStr2(nint handle);
    [LibraryImport(Library)] public static partial int tjGetErrorCode(nint handle);

    public static string ErrorOf(nint handle) => Marshal.PtrToStringUTF8((nint)tjGetErrorStr2(handle)) ?? "unknown error";
}
