using System.Text.Json.Nodes;
using ContextNets.IO;

namespace ContextNets.Tests.Cli;

/// <summary>
/// A tiny COCO-format set for the CLI: <see cref="Images"/> PNGs of 48x40 on a gray ground, each with a bright
/// "square" and a dark "bar" (polygon outlines), and instances.json listing them.
/// </summary>
internal static class TinyCoco
{
    public const int Images = 4, Width = 48, Height = 40;
    public static readonly string[] Categories = ["square", "bar"];

    /// <summary>Writes the set into <paramref name="dir"/>; returns the --data value.</summary>
    public static string Write(string dir)
    {
        string images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        var entries = new JsonArray();
        var annotations = new JsonArray();
        for (int i = 0; i < Images; i++)
        {
            (int x, int y, int w, int h, byte value)[] objects = [(4 + 3 * i, 5, 14, 14, 230), (26, 4 + 4 * i, 8, 20, 20)];
            var px = new byte[Width * Height * 3];
            Array.Fill(px, (byte)120);
            foreach (var (x, y, w, h, value) in objects)
                for (int r = y; r < y + h; r++)
                    for (int c = x; c < x + w; c++)
                        for (int ch = 0; ch < 3; ch++) px[(r * Width + c) * 3 + ch] = value;
            File.WriteAllBytes(Path.Combine(images, $"{i}.png"), Png.Encode(px, Width, Height, 3));
            entries.Add(new JsonObject { ["id"] = i + 1, ["file_name"] = $"{i}.png", ["width"] = Width, ["height"] = Height });
            for (int k = 0; k < objects.Length; k++)
            {
                var (x, y, w, h, _) = objects[k];
                annotations.Add(new JsonObject
                {
                    ["id"] = 10 * i + k, ["image_id"] = i + 1, ["category_id"] = k + 1, ["iscrowd"] = 0,
                    ["bbox"] = new JsonArray(x, y, w, h),
                    ["segmentation"] = new JsonArray(new JsonArray(x, y, x + w, y, x + w, y + h, x, y + h)),
                });
            }
        }
        var categories = new JsonArray([.. Categories.Select((name, k) => (JsonNode)new JsonObject { ["id"] = k + 1, ["name"] = name })]);
        string json = Path.Combine(dir, "instances.json");
        File.WriteAllText(json, new JsonObject { ["images"] = entries, ["categories"] = categories, ["annotations"] = annotations }.ToJsonString());
        return $"coco:{json}:{images}";
    }
}
