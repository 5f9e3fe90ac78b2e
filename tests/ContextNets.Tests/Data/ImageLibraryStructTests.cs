using System.Runtime.CompilerServices;
using ContextNets.Data;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Data;

/// <summary>The png_image struct and the libpng/TurboJPEG constants we bind, checked against the installed headers (libpng-dev, libturbojpeg0-dev).</summary>
[Trait(Tier.Key, Tier.External)]
public class ImageLibraryStructTests
{
    [Fact]
    public void PngImageHasTheHeaderSize() => Assert.Equal(PngNative.ImageSize, Unsafe.SizeOf<PngNative.PngImage>());

    [Fact]
    public void ConstantsMatchTheInstalledHeaders()
    {
        foreach (var (header, package) in new[] { ("/usr/include/png.h", "libpng-dev"), ("/usr/include/turbojpeg.h", "libturbojpeg0-dev") })
            Assert.True(File.Exists(header), $"{header} is missing: install {package} (./test and .ci/run do).");
        var lines = HeaderProbe.Run("""
            #include <stdio.h>
            #include <stddef.h>
            #include <png.h>
            #include <turbojpeg.h>
            int main(void) {
              printf("%zu %zu %zu %zu %d\n", sizeof(png_image), offsetof(png_image, format), offsetof(png_image, warning_or_error),
                offsetof(png_image, message), PNG_IMAGE_VERSION);
              printf("%d %d %d %d %d %d\n", PNG_FORMAT_FLAG_ALPHA, PNG_FORMAT_FLAG_COLOR, PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB, PNG_FORMAT_RGBA);
              printf("%d %d %d %d %d %d %d\n", PNG_IMAGE_FLAG_16BIT_sRGB, TJPF_RGB, TJPF_GRAY, TJCS_GRAY, TJFLAG_STOPONWARNING, TJFLAG_LIMITSCANS, TJERR_WARNING);
              return 0;
            }
            """);
        Assert.Equal(new long[]
        {
            PngNative.ImageSize, Offset(nameof(PngNative.PngImage.Format)), Offset(nameof(PngNative.PngImage.WarningOrError)),
            Offset(nameof(PngNative.PngImage.Message)), PngNative.ImageVersion,
        }, lines[0]);
        Assert.Equal(new long[] { PngNative.FormatFlagAlpha, PngNative.FormatFlagColor, PngNative.FormatGray, PngNative.FormatGA, PngNative.FormatRgb, PngNative.FormatRgba }, lines[1]);
        Assert.Equal(new long[] { PngNative.ImageFlag16BitSrgb, JpegNative.PixelRgb, JpegNative.PixelGray, JpegNative.ColorspaceGray, JpegNative.FlagStopOnWarning, JpegNative.FlagLimitScans, JpegNative.ErrorWarning }, lines[2]);
    }

    private static long Offset(string field) => System.Runtime.InteropServices.Marshal.OffsetOf<PngNative.PngImage>(field).ToInt64();
}
