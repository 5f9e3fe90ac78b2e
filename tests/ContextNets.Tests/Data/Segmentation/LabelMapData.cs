using ContextNets.Data.Segmentation;

namespace ContextNets.Tests.Data.Segmentation;

/// <summary>
/// Tiny label-map datasets written by the tests' own PNG writer: classes.txt with <see cref="Classes"/>, and per split
/// RGB images with palette label maps of the same stem whose indices follow <see cref="Label"/> (255 on the border).
/// </summary>
internal static class LabelMapData
{
    public static readonly string[] Classes = ["background", "shirt", "boot"];

    /// <summary>The class of pixel (x, y) of image <paramref name="image"/>: a diagonal pattern, 255 (ignore) in the first column.</summary>
    public static byte Label(int image, int x, int y) => x == 0 ? LabeledImage.Ignore : (byte)((x + 2 * y + image) % Classes.Length);

    /// <summary>Writes ROOT/classes.txt and, for each split, <paramref name="count"/> images of <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static string Write(TempDir tmp, int count = 2, int width = 13, int height = 7, params string[] splits)
    {
        string root = tmp.File("voc");
        Directory.CreateDirectory(root);
        File.WriteAllLines(Path.Combine(root, LabelMapFolder.ClassFile), Classes);
        foreach (var split in splits.Length == 0 ? ["train", "val"] : splits)
            for (int i = 0; i < count; i++)
            {
                tmp.Write($"voc/{split}/images/img{i}.png", Image(i, width, height));
                tmp.Write($"voc/{split}/labels/img{i}.png", LabelMap(i, width, height));
            }
        return root;
    }

    public static byte[] Image(int image, int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int p = 0; p < rgb.Length; p++) rgb[p] = (byte)(p * 5 + image * 31);
        return PngWriter.Encode(width, height, PngWriter.Rgb, rgb);
    }

    /// <summary>An 8-bit palette PNG of <see cref="Label"/>, with VOC's colours for the classes (so the colours are not the indices).</summary>
    public static byte[] LabelMap(int image, int width, int height)
    {
        var indices = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) indices[y * width + x] = Label(image, x, y);
        return PngWriter.Encode(width, height, PngWriter.Palette, indices, palette: Palette(), filter: PngWriter.EveryFilter);
    }

    /// <summary>256 RGB entries: VOC's colours for the classes, white for 255.</summary>
    public static byte[] Palette()
    {
        var palette = new byte[256 * 3];
        byte[][] voc = [[0, 0, 0], [128, 0, 0], [0, 128, 0]];
        for (int i = 0; i < voc.Length; i++) voc[i].CopyTo(palette, 3 * i);
        palette[255 * 3] = palette[255 * 3 + 1] = palette[255 * 3 + 2] = 255;
        return palette;
    }
}
