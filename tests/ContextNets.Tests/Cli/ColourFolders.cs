using ContextNets.IO;
using ContextNets.Tests.Data;

namespace ContextNets.Tests.Cli;

/// <summary>Image folders for the training commands: 8x8 PNGs of one solid colour per class, with a little noise.</summary>
internal static class ColourFolders
{
    public static readonly (string name, byte[] rgb) Apple = ("apple", [200, 30, 30]), Sky = ("sky", [30, 60, 210]);

    /// <summary>`images/train/CLASS/*.png` and `images/val/CLASS/*.png` in <paramref name="tmp"/>; returns the `images` folder.</summary>
    public static string Write(TempDir tmp, int trainPerClass, int valPerClass, params (string name, byte[] rgb)[] classes)
    {
        string root = tmp.File("images");
        var rng = new Random(3);
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("val", valPerClass) })
            foreach (var (name, rgb) in classes)
                for (int i = 0; i < count; i++)
                {
                    var px = new byte[8 * 8 * 3];
                    for (int k = 0; k < px.Length; k++) px[k] = (byte)Math.Clamp(rgb[k % 3] + rng.Next(-20, 21), 0, 255);
                    tmp.Write(Path.Combine("images", split, name, $"{i:D2}.png"), Png.Encode(px, 8, 8, 3));
                }
        return root;
    }
}
