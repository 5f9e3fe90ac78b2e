namespace ContextNets.Data.Augment;

/// <summary>
/// The color operations of AutoAugment and RandAugment with PIL's
/// semantics (ImageEnhance and ImageOps on 'L' and 'RGB' images):
/// the enhancers blend toward a degenerate image, out = d + f (img - d), in
/// float32, clipped and truncated as PIL's Image.blend; the point
/// operations are per-channel lookup tables as PIL builds them.
/// </summary>
public static class ColorOps
{
    /// <summary>PIL's Image.blend(degenerate, image, factor).</summary>
    public static Image8 Blend(Image8 degenerate, Image8 image, float factor)
    {
        var dst = image.Blank();
        byte[] d = degenerate.Pixels, s = image.Pixels, o = dst.Pixels;
        for (int i = 0; i < o.Length; i++)
        {
            float t = d[i] + factor * (s[i] - d[i]);
            o[i] = t <= 0f ? (byte)0 : t >= 255f ? (byte)255 : (byte)t;
        }
        return dst;
    }

    /// <summary>ImageEnhance.Brightness: blend with black.</summary>
    public static Image8 Brightness(Image8 image, float factor) => Blend(image.Blank(), image, factor);

    /// <summary>ImageEnhance.Color (saturation): blend with the image's luma; a gray image is unchanged.</summary>
    public static Image8 Color(Image8 image, float factor) =>
        image.Channels == 1 ? image.Clone() : Blend(image.WithChannels(1).WithChannels(3), image, factor);

    /// <summary>ImageEnhance.Contrast: blend with a flat image at the mean luma, rounded (int(mean + 0.5)).</summary>
    public static Image8 Contrast(Image8 image, float factor)
    {
        var gray = image.WithChannels(1).Pixels;
        long sum = 0;
        foreach (var v in gray) sum += v;
        byte mean = (byte)(int)((double)sum / gray.Length + 0.5);
        var flat = image.Blank();
        Array.Fill(flat.Pixels, mean);
        return Blend(flat, image, factor);
    }

    /// <summary>
    /// ImageEnhance.Sharpness: blend with PIL's SMOOTH filter (3x3 kernel 1 1 1 / 1 5 1 / 1 1 1, divided by 13,
    /// rounded), which leaves the border pixels as they are.
    /// </summary>
    public static Image8 Sharpness(Image8 image, float factor) => Blend(Smooth(image), image, factor);

    public static Image8 Smooth(Image8 image)
    {
        var dst = image.Clone();
        int c = image.Channels, w = image.Width, h = image.Height;
        var s = image.Pixels;
        for (int y = 1; y < h - 1; y++)
            for (int x = 1; x < w - 1; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    int sum = 4 * s[(y * w + x) * c + ch];
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) sum += s[((y + dy) * w + x + dx) * c + ch];
                    // floor(sum / 13 + 0.5), exactly: 13 is odd, so a sum never lands on a half.
                    dst.Pixels[(y * w + x) * c + ch] = (byte)((2 * sum + 13) / 26);
                }
        return dst;
    }

    /// <summary>ImageOps.posterize: keeps the top <paramref name="bits"/> bits.</summary>
    public static Image8 Posterize(Image8 image, int bits)
    {
        if (bits < 0 || bits > 8) throw new ArgumentException($"Posterize keeps 0 to 8 bits, not {bits}.");
        byte mask = (byte)~((1 << (8 - bits)) - 1);
        return Map(image, v => (byte)(v & mask));
    }

    /// <summary>ImageOps.solarize: values at or above the threshold are inverted.</summary>
    public static Image8 Solarize(Image8 image, double threshold) => Map(image, v => v < threshold ? v : (byte)(255 - v));

    public static Image8 Invert(Image8 image) => Map(image, v => (byte)(255 - v));

    /// <summary>ImageOps.autocontrast (cutoff 0), per channel: lo..hi stretched to 0..255, truncated; a flat channel is unchanged.</summary>
    public static Image8 AutoContrast(Image8 image) => PerChannelLut(image, h =>
    {
        int lo = 0, hi = 255;
        while (lo < 256 && h[lo] == 0) lo++;
        while (hi >= 0 && h[hi] == 0) hi--;
        var lut = Identity();
        if (hi <= lo) return lut;
        double scale = 255.0 / (hi - lo), offset = -lo * scale;
        for (int i = 0; i < 256; i++) lut[i] = (byte)Math.Clamp((int)(i * scale + offset), 0, 255);
        return lut;
    });

    /// <summary>
    /// ImageOps.equalize (Pillow 9), per channel: step = (total - count of the last used value) // 255, and
    /// lut[i] = (step // 2 + count below i) // step; identity when fewer than two values are used or step is 0.
    /// </summary>
    public static Image8 Equalize(Image8 image) => PerChannelLut(image, h =>
    {
        var lut = Identity();
        int used = 0, last = 0;
        long total = 0;
        for (int i = 0; i < 256; i++)
            if (h[i] > 0) { used++; last = h[i]; total += h[i]; }
        if (used <= 1) return lut;
        long step = (total - last) / 255;
        if (step == 0) return lut;
        long n = step / 2;
        for (int i = 0; i < 256; i++)
        {
            // The top used value maps to 255 or just above; Image.point clips the table to 8 bits.
            lut[i] = (byte)Math.Min(n / step, 255);
            n += h[i];
        }
        return lut;
    });

    private static byte[] Identity()
    {
        var lut = new byte[256];
        for (int i = 0; i < 256; i++) lut[i] = (byte)i;
        return lut;
    }

    private static Image8 Map(Image8 image, Func<byte, byte> f)
    {
        var lut = new byte[256];
        for (int i = 0; i < 256; i++) lut[i] = f((byte)i);
        var dst = image.Blank();
        for (int i = 0; i < dst.Pixels.Length; i++) dst.Pixels[i] = lut[image.Pixels[i]];
        return dst;
    }

    private static Image8 PerChannelLut(Image8 image, Func<int[], byte[]> lutOf)
    {
        int c = image.Channels;
        var dst = image.Blank();
        var s = image.Pixels;
        for (int ch = 0; ch < c; ch++)
        {
            var hist = new int[256];
            for (int i = ch; i < s.Length; i += c) hist[s[i]]++;
            var lut = lutOf(hist);
            for (int i = ch; i < s.Length; i += c) dst.Pixels[i] = lut[s[i]];
        }
        return dst;
    }
}
