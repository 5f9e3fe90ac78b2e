using System.Globalization;
using ContextNets.Data;
using ContextNets.Detection;

namespace ContextNets.IO;

/// <summary>
/// The picture `ctxnet detect` writes: the image, each detection's mask blended in at half opacity in the detection's
/// own colour, then its box outline in that colour and a "label score" caption on a band of it. Detections are drawn
/// from the lowest score up, so that the best one is on top of the others.
/// </summary>
public static class DetectionPicture
{
    /// <summary>Pixels of a box outline, inward from the box's edge.</summary>
    public const int Thickness = 2;

    /// <summary>The caption's text size in pixels.</summary>
    public const float TextSize = 12;

    private const double MaskOpacity = 0.5;

    // Distinct, saturated colours that read on photographs and on the scenes' gray textures alike.
    private static readonly (byte r, byte g, byte b)[] Palette =
    [
        (230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
        (70, 240, 240), (240, 50, 230), (210, 245, 60), (255, 225, 25), (0, 128, 128),
    ];

    /// <summary>The colour of the detection of rank <paramref name="index"/> (0: the best score).</summary>
    public static (byte r, byte g, byte b) Color(int index) => Palette[index % Palette.Length];

    /// <summary>"#rrggbb", as the JSON beside the picture gives each detection's colour.</summary>
    public static string Hex((byte r, byte g, byte b) c) => $"#{c.r:x2}{c.g:x2}{c.b:x2}";

    /// <summary>
    /// The outline's pixel rectangle of box (x1, y1, x2, y2) in a width x height picture: the columns floor(x1) to
    /// ceil(x2) - 1 and the rows floor(y1) to ceil(y2) - 1, clipped to the picture. The outline fills the
    /// <see cref="Thickness"/> outermost rows and columns of it.
    /// </summary>
    public static (int left, int top, int right, int bottom) Outline(ReadOnlySpan<float> box, int width, int height)
    {
        int left = Math.Clamp((int)MathF.Floor(box[0]), 0, width - 1), top = Math.Clamp((int)MathF.Floor(box[1]), 0, height - 1);
        int right = Math.Clamp((int)MathF.Ceiling(box[2]) - 1, left, width - 1), bottom = Math.Clamp((int)MathF.Ceiling(box[3]) - 1, top, height - 1);
        return (left, top, right, bottom);
    }

    /// <summary>The caption of a detection: its class name (or label number) and its score with two decimals.</summary>
    public static string Caption(string label, float score) => string.Create(CultureInfo.InvariantCulture, $"{label} {score:F2}");

    /// <summary>Draws <paramref name="detections"/> (masks pasted at the image's size) over <paramref name="image"/>; <paramref name="labelName"/> names a label.</summary>
    public static Canvas Draw(Image8 image, Detections detections, Func<long, string> labelName)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(labelName);
        int w = image.Width, h = image.Height, plane = w * h;
        if (detections.Count > 0 && (detections.MaskHeight, detections.MaskWidth) != (h, w))
            throw new ArgumentException($"The masks are {detections.MaskWidth}x{detections.MaskHeight}, the image {w}x{h}: paste them at the image's size first.");
        var canvas = new Canvas(w, h, (0, 0, 0));
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++) canvas.Pixels[3 * p + c] = image.Pixels[p * image.Channels + (image.Channels == 3 ? c : 0)];
        for (int k = detections.Count - 1; k >= 0; k--) BlendMask(canvas, detections.Masks.AsSpan(k * plane, plane), Color(k));
        for (int k = detections.Count - 1; k >= 0; k--)
        {
            var (left, top, right, bottom) = Outline(detections.Boxes.AsSpan(4 * k, 4), w, h);
            var color = Color(k);
            int bw = right - left + 1, bh = bottom - top + 1;
            canvas.Fill(left, top, bw, Thickness, color);
            canvas.Fill(left, bottom - Thickness + 1, bw, Thickness, color);
            canvas.Fill(left, top, Thickness, bh, color);
            canvas.Fill(right - Thickness + 1, top, Thickness, bh, color);
            DrawCaption(canvas, left, top, Caption(labelName(detections.Labels[k]), detections.Scores[k]), color);
        }
        return canvas;
    }

    private static void BlendMask(Canvas canvas, ReadOnlySpan<float> mask, (byte r, byte g, byte b) color)
    {
        for (int p = 0; p < mask.Length; p++)
        {
            if (!(mask[p] > ImageDetection.MaskThreshold)) continue;
            var px = canvas.Pixels.AsSpan(3 * p, 3);
            px[0] = Mix(px[0], color.r);
            px[1] = Mix(px[1], color.g);
            px[2] = Mix(px[2], color.b);
        }
    }

    private static byte Mix(byte under, byte over) => (byte)Math.Round((1 - MaskOpacity) * under + MaskOpacity * over);

    /// <summary>A band of the colour above the box (inside its top when there is no room above), the text black or white, whichever reads better on it.</summary>
    private static void DrawCaption(Canvas canvas, int left, int top, string text, (byte r, byte g, byte b) color)
    {
        int width = Canvas.TextWidth(text, TextSize) + 4, height = Canvas.LineHeight(TextSize);
        int x = Math.Max(0, Math.Min(left, canvas.Width - width));
        int y = top - height >= 0 ? top - height : top;
        canvas.Fill(x, y, width, height, color);
        var ink = Image8.Luma(color.r, color.g, color.b) > 140 ? ((byte)0, (byte)0, (byte)0) : ((byte)255, (byte)255, (byte)255);
        canvas.Text(x + 2, y, text, ink, TextSize);
    }
}
