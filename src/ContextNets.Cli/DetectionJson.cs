using System.Text.Json;
using ContextNets.Data;
using ContextNets.Data.Detection;
using ContextNets.Detection;
using ContextNets.IO;

namespace ContextNets.Cli;

/// <summary>
/// NAME.detections.json of `ctxnet detect`: the image, its size, the detector, the threshold, and each detection by
/// decreasing score with its box (x1, y1, x2, y2 in the image's pixels), score, label (1.. as the detector counts,
/// 0 being the background), class name (for a run's detector), colour in the picture, and mask. The mask is the
/// pasted probabilities cut above 0.5, as COCO's uncompressed RLE: {"size": [height, width], "counts": [...]}, run
/// lengths over the pixels in column-major order alternating 0s and 1s, starting with 0s (pycocotools'
/// frPyObjects reads it; our COCO loader too).
/// </summary>
internal static class DetectionJson
{
    public static void Write(string path, string imagePath, Image8 image, Detections d, DetectorSource detector, float scoreThreshold) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("image", imagePath);
            w.WriteNumber("width", image.Width);
            w.WriteNumber("height", image.Height);
            w.WriteString("model", detector.ModelName);
            w.WriteString("from", detector.From);
            w.WriteNumber("score_threshold", scoreThreshold);
            w.WriteStartArray("detections");
            int plane = image.Width * image.Height;
            for (int k = 0; k < d.Count; k++)
            {
                w.WriteStartObject();
                w.WriteStartArray("box");
                for (int j = 0; j < 4; j++) w.WriteNumberValue(d.Boxes[4 * k + j]);
                w.WriteEndArray();
                w.WriteNumber("score", d.Scores[k]);
                w.WriteNumber("label", d.Labels[k]);
                if (detector.HasNames) w.WriteString("class", detector.NameOf(d.Labels[k]));
                w.WriteString("color", DetectionPicture.Hex(DetectionPicture.Color(k)));
                WriteMask(w, d.Masks.AsSpan(k * plane, plane), image.Height, image.Width);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    private static void WriteMask(Utf8JsonWriter w, ReadOnlySpan<float> probabilities, int height, int width)
    {
        var inside = new byte[probabilities.Length];
        for (int p = 0; p < inside.Length; p++) inside[p] = probabilities[p] > ImageDetection.MaskThreshold ? (byte)1 : (byte)0;
        w.WriteStartObject("mask");
        w.WriteStartArray("size");
        w.WriteNumberValue(height);
        w.WriteNumberValue(width);
        w.WriteEndArray();
        w.WriteStartArray("counts");
        foreach (int run in CocoShape.Runs(inside, height, width)) w.WriteNumberValue(run);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
